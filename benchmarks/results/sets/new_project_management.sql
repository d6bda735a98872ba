-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: without it the chosen set does 334.9 weighted buffers per query more: project_tasks_by_status 3,056 → 125 buffers (24.4x), 74.2x faster (time ±1.66 ms), dashboard_status_counts 3,008 → 628 buffers (4.8x), 55.1x faster (time ±0.41 ms), project_tasks_keyset 3,008 → 705 buffers (4.3x), 52.7x faster (time ±0.52 ms); costs the write mix +31.1% WAL, +4.4% time
--   project_tasks_by_status: 24.20 ms -> 0.33 ms (74.2x), buffers 3,056 -> 125
--   dashboard_status_counts: 13.61 ms -> 0.25 ms (55.1x), buffers 3,008 -> 627
--   project_tasks_keyset: 13.11 ms -> 0.25 ms (52.7x), buffers 3,008 -> 705
--   size 4.8 MB, built in 93 ms
--   write mix: +526,136 WAL bytes (+31.1%), +9.1 ms (+4.4%), 5 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_tasks_parent_id_d3ad5d88 (fk) on tasks: without it the chosen set does 629.5 weighted buffers per query more: task_detail 5,852 → 71 buffers (82.0x), 210.0x faster (time ±0.70 ms); costs the write mix +8.4% WAL, -51.7% time
--   task_detail: 23.10 ms -> 0.11 ms (210.0x), buffers 5,852 -> 71
--   size 984.0 kB, built in 50 ms
--   write mix: +184,424 WAL bytes (+8.4%), -143.3 ms (-51.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_d3ad5d88 ON tasks (parent_id);

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: without it the chosen set does 442.6 weighted buffers per query more: task_detail 5,852 → 71 buffers (82.0x), 210.0x faster (time ±0.70 ms); costs the write mix +6.8% WAL, -19.1% time
--   task_detail: 23.10 ms -> 0.11 ms (210.0x), buffers 5,852 -> 71
--   size 1.4 MB, built in 56 ms
--   write mix: +204,088 WAL bytes (+6.8%), -39.0 ms (-19.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_tasks_assignee_id_c41735aa (partial) on tasks: without it the chosen set does 104.9 weighted buffers per query more: my_open_tasks 3,087 → 198 buffers (15.6x), 54.6x faster (time ±1.52 ms); costs the write mix +12.5% WAL, -3.0% time
--   my_open_tasks: 20.71 ms -> 0.38 ms (54.6x), buffers 3,086 -> 198
--   size 1.1 MB, built in 42 ms
--   write mix: +297,840 WAL bytes (+12.5%), -2.8 ms (-3.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_c41735aa ON tasks (assignee_id, due_date, id) WHERE status IN ('todo', 'in_progress');

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: without it the chosen set does 171.9 weighted buffers per query more: activity_feed 2,370 → 181 buffers (13.1x), 42.0x faster (time ±2.41 ms); costs the write mix +0.0% WAL, +69.1% time
--   activity_feed: 9.29 ms -> 0.22 ms (42.0x), buffers 2,370 -> 180
--   size 3.6 MB, built in 110 ms
--   write mix: +576 WAL bytes (+0.0%), +68.1 ms (+69.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_tasks_assignee_id_78850eac (btree) on tasks: without it the chosen set does 29.6 weighted buffers per query more: project_tasks_by_assignee 3,008 → 14 buffers (214.9x), 578.0x faster (time ±0.51 ms); costs the write mix +21.5% WAL, +9.2% time
--   project_tasks_by_assignee: 20.23 ms -> 0.04 ms (578.0x), buffers 3,008 -> 14
--   size 3.9 MB, built in 67 ms
--   write mix: +512,344 WAL bytes (+21.5%), +13.8 ms (+9.2%), 1 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_78850eac ON tasks (assignee_id, project_id, updated_at);

-- pga_time_entries_task_id_5153d753 (fk) on time_entries: without it the chosen set does 138.6 weighted buffers per query more: task_detail 5,852 → 71 buffers (82.0x), 210.0x faster (time ±0.70 ms); costs the write mix +0.0% WAL, -17.5% time
--   task_detail: 23.10 ms -> 0.11 ms (210.0x), buffers 5,852 -> 71
--   size 944.0 kB, built in 32 ms
--   write mix: +544 WAL bytes (+0.0%), -25.2 ms (-17.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_5153d753 ON time_entries (task_id);

-- pga_tasks_org_id_afa9838e (partial) on tasks: without it the chosen set does 122.8 weighted buffers per query more: overdue_tasks_in_org 3,008 → 75 buffers (40.1x), 102.1x faster (time ±0.71 ms); costs the write mix +8.7% WAL, +7.9% time
--   overdue_tasks_in_org: 14.90 ms -> 0.15 ms (102.1x), buffers 3,008 -> 75
--   size 528.0 kB, built in 63 ms
--   write mix: +275,824 WAL bytes (+8.7%), +6.3 ms (+7.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_tasks_to_tsvector__english_3638025f (gin) on tasks: the queries it serves do 55.5 weighted buffers per query less: search_titles_fulltext 3,008 → 1,240 buffers (2.4x), 2590.3x faster (time ±97.75 ms); costs the write mix +36.2% WAL, +9.1% time
--   search_titles_fulltext: 885.88 ms -> 0.34 ms (2590.3x), buffers 3,008 -> 1,240
--   size 1.5 MB, built in 762 ms
--   write mix: +1,241,912 WAL bytes (+36.2%), +12.4 ms (+9.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_3638025f ON tasks USING gin ((to_tsvector('english', title))) WHERE deleted_at IS NULL;

-- pga_tasks_title_e026dd18 (gin) on tasks: without it the chosen set does 37.1 weighted buffers per query more: search_titles_substring 1,864 → 95 buffers (19.7x), 89.6x faster (time ±41.86 ms); costs the write mix +116.9% WAL, +14.3% time
--   search_titles_substring: 80.36 ms -> 0.90 ms (89.6x), buffers 1,864 -> 94
--   size 8.4 MB, built in 1030 ms
--   write mix: +5,851,656 WAL bytes (+116.9%), +21.1 ms (+14.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: without it the chosen set does 20.0 weighted buffers per query more: activity_by_payload 2,289 → 382 buffers (6.0x), 44.0x faster (time ±1.02 ms); costs the write mix -0.0% WAL, +17.1% time
--   activity_by_payload: 26.90 ms -> 0.61 ms (44.0x), buffers 2,289 -> 382
--   size 776.0 kB, built in 67 ms
--   write mix: -720 WAL bytes (-0.0%), +18.3 ms (+17.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: without it the chosen set does 17.3 weighted buffers per query more: time_report 666 → 5 buffers (128.2x), 89.6x faster (time ±0.06 ms); costs the write mix +0.0% WAL, +24.4% time
--   time_report: 2.78 ms -> 0.03 ms (89.6x), buffers 666 -> 5
--   size 1.0 MB, built in 46 ms
--   write mix: +864 WAL bytes (+0.0%), +40.8 ms (+24.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: without it the chosen set does 8.7 weighted buffers per query more: user_organizations 92 → 9 buffers (10.2x), 6.2x faster (time ±0.03 ms)
--   user_organizations: 0.52 ms -> 0.08 ms (6.2x), buffers 92 -> 9
--   size 216.0 kB, built in 8 ms
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);

-- pga_task_labels_label_id_0dbbf4be (covering) on task_labels: without it the chosen set does 5.2 weighted buffers per query more: tasks_with_label 1,428 → 1,137 buffers (1.3x), 4.1x faster (time ±0.20 ms); costs the write mix -0.0% WAL, -20.4% time
--   tasks_with_label: 3.06 ms -> 0.75 ms (4.1x), buffers 1,427 -> 1,137
--   size 1.8 MB, built in 38 ms
--   write mix: -424 WAL bytes (-0.0%), -39.5 ms (-20.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_0dbbf4be ON task_labels (label_id, task_id);

-- pga_task_activity_task_id_5524b717 (btree) on task_activity: speeds up the writes by 0.078 ms of weighted time per query: purge_deleted_task 12.39 -> 0.48 ms per execution (25.7x faster)
--   size 1.9 MB, built in 65 ms
--   write mix: -48 WAL bytes (-0.0%), -46.0 ms (-43.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_task_id_5524b717 ON task_activity (task_id);
