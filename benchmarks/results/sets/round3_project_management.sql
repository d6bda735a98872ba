-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: without it the chosen set does 884.4 weighted buffers per query more: project_tasks_by_status 3,121 → 121 buffers (25.7x), 62.0x faster (time ±3.96 ms), dashboard_status_counts 3,072 → 648 buffers (4.7x), 29.7x faster (time ±3.17 ms), project_tasks_keyset 3,072 → 622 buffers (4.9x), 19.5x faster (time ±1.13 ms), project_tasks_by_assignee 3,072 → 636 buffers (4.8x), 89.2x faster (time ±1.22 ms); costs the write mix +25.3% WAL, +34.5% time
--   project_tasks_by_status: 23.61 ms -> 0.38 ms (62.0x), buffers 3,120 -> 121
--   project_tasks_by_assignee: 18.01 ms -> 0.20 ms (89.2x), buffers 3,072 -> 635
--   dashboard_status_counts: 21.27 ms -> 0.72 ms (29.7x), buffers 3,072 -> 648
--   project_tasks_keyset: 13.99 ms -> 0.72 ms (19.5x), buffers 3,072 -> 622
--   size 4.8 MB, built in 163 ms
--   write mix: +533,888 WAL bytes (+25.3%), +269.1 ms (+34.5%), 5 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_tasks_parent_id_5e874c4a (fk) on tasks: without it the chosen set does 642.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 169.3x faster (time ±1.71 ms); costs the write mix +1.2% WAL, -33.8% time
--   task_detail: 25.74 ms -> 0.15 ms (169.3x), buffers 6,123 -> 73
--   size 336.0 kB, built in 44 ms
--   write mix: +31,640 WAL bytes (+1.2%), -333.8 ms (-33.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_5e874c4a ON tasks (parent_id) WHERE parent_id IS NOT NULL;

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: without it the chosen set does 480.6 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 169.3x faster (time ±1.71 ms); costs the write mix +7.0% WAL, -51.3% time
--   task_detail: 25.74 ms -> 0.15 ms (169.3x), buffers 6,123 -> 73
--   size 1.4 MB, built in 62 ms
--   write mix: +219,664 WAL bytes (+7.0%), -372.9 ms (-51.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_tasks_assignee_id_c41735aa (partial) on tasks: without it the chosen set does 367.8 weighted buffers per query more: my_open_tasks 3,229 → 328 buffers (9.9x), 28.8x faster (time ±0.96 ms); costs the write mix +10.2% WAL, -24.5% time
--   my_open_tasks: 20.32 ms -> 0.71 ms (28.8x), buffers 3,229 -> 327
--   size 1.1 MB, built in 86 ms
--   write mix: +273,136 WAL bytes (+10.2%), -102.1 ms (-24.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_c41735aa ON tasks (assignee_id, due_date, id) WHERE status IN ('todo', 'in_progress');

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: without it the chosen set does 175.1 weighted buffers per query more: activity_feed 2,391 → 162 buffers (14.8x), 28.6x faster (time ±3.08 ms); costs the write mix -0.2% WAL, +2.7% time
--   activity_feed: 9.10 ms -> 0.32 ms (28.6x), buffers 2,391 -> 161
--   size 3.6 MB, built in 78 ms
--   write mix: -4,856 WAL bytes (-0.2%), +6.7 ms (+2.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_time_entries_task_id_cfeb4e18 (covering) on time_entries: without it the chosen set does 140.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 169.3x faster (time ±1.71 ms); costs the write mix -0.3% WAL, -1.4% time
--   task_detail: 25.74 ms -> 0.15 ms (169.3x), buffers 6,123 -> 73
--   size 1.5 MB, built in 27 ms
--   write mix: -10,064 WAL bytes (-0.3%), -3.3 ms (-1.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_cfeb4e18 ON time_entries (task_id, minutes);

-- pga_tasks_org_id_afa9838e (partial) on tasks: without it the chosen set does 125.7 weighted buffers per query more: overdue_tasks_in_org 3,072 → 72 buffers (42.9x), 59.2x faster (time ±0.39 ms); costs the write mix +6.7% WAL, +2.2% time
--   overdue_tasks_in_org: 16.65 ms -> 0.28 ms (59.2x), buffers 3,072 -> 71
--   size 528.0 kB, built in 45 ms
--   write mix: +258,496 WAL bytes (+6.7%), +4.3 ms (+2.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_tasks_to_tsvector__english_3638025f (gin) on tasks: without it the chosen set does 56.4 weighted buffers per query more: search_titles_fulltext 3,072 → 1,276 buffers (2.4x), 1447.2x faster (time ±9.81 ms); costs the write mix +29.1% WAL, +72.5% time
--   search_titles_fulltext: 602.04 ms -> 0.42 ms (1447.2x), buffers 3,072 -> 1,276
--   size 1.5 MB, built in 816 ms
--   write mix: +1,197,264 WAL bytes (+29.1%), +134.3 ms (+72.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_3638025f ON tasks USING gin ((to_tsvector('english', title))) WHERE deleted_at IS NULL;

-- pga_tasks_title_e026dd18 (gin) on tasks: without it the chosen set does 55.1 weighted buffers per query more: search_titles_substring 2,897 → 268 buffers (10.8x), 45.5x faster (time ±36.76 ms); costs the write mix +112.6% WAL, -1.3% time
--   search_titles_substring: 101.73 ms -> 2.24 ms (45.5x), buffers 2,897 -> 267
--   size 8.9 MB, built in 1249 ms
--   write mix: +5,956,888 WAL bytes (+112.6%), -4.3 ms (-1.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: without it the chosen set does 20.5 weighted buffers per query more: activity_by_payload 2,320 → 359 buffers (6.5x), 32.4x faster (time ±0.76 ms); costs the write mix +0.0% WAL, +47.9% time
--   activity_by_payload: 27.74 ms -> 0.85 ms (32.4x), buffers 2,320 -> 358
--   size 776.0 kB, built in 85 ms
--   write mix: +736 WAL bytes (+0.0%), +119.4 ms (+47.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: without it the chosen set does 17.9 weighted buffers per query more: time_report 691 → 6 buffers (115.2x), 56.4x faster (time ±0.23 ms); costs the write mix +0.0% WAL, -5.2% time
--   time_report: 2.71 ms -> 0.05 ms (56.4x), buffers 691 -> 6
--   size 1.0 MB, built in 46 ms
--   write mix: +560 WAL bytes (+0.0%), -18.6 ms (-5.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: without it the chosen set does 8.8 weighted buffers per query more: user_organizations 92 → 8 buffers (11.2x), 7.3x faster (time ±0.05 ms)
--   user_organizations: 0.88 ms -> 0.12 ms (7.3x), buffers 92 -> 8
--   size 216.0 kB, built in 8 ms
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);

-- pga_task_labels_label_id_0dbbf4be (covering) on task_labels: without it the chosen set does 5.2 weighted buffers per query more: tasks_with_label 1,188 → 927 buffers (1.3x), 3.3x faster (time ±1.16 ms); costs the write mix -0.0% WAL, -6.2% time
--   tasks_with_label: 6.17 ms -> 1.85 ms (3.3x), buffers 1,188 -> 927
--   size 1.8 MB, built in 43 ms
--   write mix: -320 WAL bytes (-0.0%), -29.5 ms (-6.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_0dbbf4be ON task_labels (label_id, task_id);

-- pga_task_activity_task_id_5524b717 (btree) on task_activity: speeds up the writes by 0.522 ms of weighted time per query: purge_deleted_task 50.63 -> 0.80 ms per execution (63.2x faster)
--   size 1.9 MB, built in 97 ms
--   write mix: +464 WAL bytes (+0.0%), -246.9 ms (-77.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_task_id_5524b717 ON task_activity (task_id);
