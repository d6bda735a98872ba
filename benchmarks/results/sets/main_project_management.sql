-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: without it the chosen set does 343.4 weighted buffers per query more: project_tasks_by_status 3,121 → 121 buffers (25.7x), 63.5x faster (time ±1.91 ms), dashboard_status_counts 3,072 → 648 buffers (4.7x), 25.1x faster (time ±2.82 ms), project_tasks_by_assignee 3,072 → 168 buffers (18.2x), 173.3x faster (time ±1.41 ms), project_tasks_keyset 3,072 → 622 buffers (4.9x), 33.2x faster (time ±1.91 ms); costs the write mix +25.3% WAL, +36.3% time
--   project_tasks_by_status: 24.77 ms -> 0.39 ms (63.5x), buffers 3,120 -> 121
--   project_tasks_by_assignee: 15.43 ms -> 0.09 ms (173.3x), buffers 3,072 -> 168
--   dashboard_status_counts: 21.44 ms -> 0.85 ms (25.1x), buffers 3,072 -> 648
--   project_tasks_keyset: 19.89 ms -> 0.60 ms (33.2x), buffers 3,072 -> 622
--   size 4.8 MB, built in 117 ms
--   write mix: +533,888 WAL bytes (+25.3%), +193.7 ms (+36.3%), 5 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_tasks_parent_id_5e874c4a (fk) on tasks: without it the chosen set does 642.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 203.8x faster (time ±0.65 ms); costs the write mix +1.2% WAL, -52.5% time
--   task_detail: 37.51 ms -> 0.18 ms (203.8x), buffers 6,123 -> 73
--   size 336.0 kB, built in 25 ms
--   write mix: +31,640 WAL bytes (+1.2%), -404.3 ms (-52.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_5e874c4a ON tasks (parent_id) WHERE parent_id IS NOT NULL;

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: without it the chosen set does 480.6 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 203.8x faster (time ±0.65 ms); costs the write mix +7.0% WAL, -18.3% time
--   task_detail: 37.51 ms -> 0.18 ms (203.8x), buffers 6,123 -> 73
--   size 1.4 MB, built in 47 ms
--   write mix: +219,664 WAL bytes (+7.0%), -84.7 ms (-18.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: without it the chosen set does 175.1 weighted buffers per query more: activity_feed 2,391 → 162 buffers (14.8x), 37.2x faster (time ±4.85 ms); costs the write mix -0.2% WAL, -2.9% time
--   activity_feed: 14.02 ms -> 0.38 ms (37.2x), buffers 2,391 -> 161
--   size 3.6 MB, built in 103 ms
--   write mix: -4,856 WAL bytes (-0.2%), -8.3 ms (-2.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_tasks_assignee_id_7eab2ebd (btree) on tasks: the queries it serves do 513.3 weighted buffers per query less: my_open_tasks 3,229 → 469 buffers (6.9x), 22.1x faster (time ±0.88 ms), project_tasks_by_assignee 3,072 → 168 buffers (18.2x), 173.3x faster (time ±1.41 ms); costs the write mix +17.5% WAL, -16.9% time
--   project_tasks_by_assignee: 15.43 ms -> 0.09 ms (173.3x), buffers 3,072 -> 168
--   my_open_tasks: 20.74 ms -> 0.94 ms (22.1x), buffers 3,229 -> 468
--   size 3.8 MB, built in 109 ms
--   write mix: +469,280 WAL bytes (+17.5%), -60.7 ms (-16.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_7eab2ebd ON tasks (assignee_id, due_date, id);

-- pga_time_entries_task_id_cfeb4e18 (covering) on time_entries: without it the chosen set does 140.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 203.8x faster (time ±0.65 ms); costs the write mix -0.6% WAL, -35.5% time
--   task_detail: 37.51 ms -> 0.18 ms (203.8x), buffers 6,123 -> 73
--   size 1.5 MB, built in 42 ms
--   write mix: -20,544 WAL bytes (-0.6%), -130.0 ms (-35.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_cfeb4e18 ON time_entries (task_id, minutes);

-- pga_tasks_org_id_afa9838e (partial) on tasks: without it the chosen set does 125.7 weighted buffers per query more: my_open_tasks 3,229 → 469 buffers (6.9x), 22.1x faster (time ±0.88 ms), overdue_tasks_in_org 3,072 → 72 buffers (42.9x), 104.4x faster (time ±0.50 ms); costs the write mix +8.2% WAL, -2.9% time
--   my_open_tasks: 20.74 ms -> 0.94 ms (22.1x), buffers 3,229 -> 468
--   overdue_tasks_in_org: 23.38 ms -> 0.22 ms (104.4x), buffers 3,072 -> 71
--   size 528.0 kB, built in 41 ms
--   write mix: +283,544 WAL bytes (+8.2%), -9.4 ms (-2.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_tasks_title_e026dd18 (gin) on tasks: without it the chosen set does 55.1 weighted buffers per query more: search_titles_substring 2,897 → 268 buffers (10.8x), 61.5x faster (time ±16.00 ms); costs the write mix +120.6% WAL, +52.5% time
--   search_titles_substring: 142.68 ms -> 2.32 ms (61.5x), buffers 2,897 -> 267
--   size 8.9 MB, built in 999 ms
--   write mix: +5,956,304 WAL bytes (+120.6%), +124.7 ms (+52.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_tasks_to_tsvector__english_3638025f (gin) on tasks: the queries it serves do 56.4 weighted buffers per query less: search_titles_fulltext 3,072 → 1,276 buffers (2.4x), 2181.9x faster (time ±12.91 ms); costs the write mix +31.8% WAL, -28.3% time
--   search_titles_fulltext: 1012.39 ms -> 0.46 ms (2181.9x), buffers 3,072 -> 1,276
--   size 1.5 MB, built in 733 ms
--   write mix: +1,196,368 WAL bytes (+31.8%), -91.9 ms (-28.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_3638025f ON tasks USING gin ((to_tsvector('english', title))) WHERE deleted_at IS NULL;

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: without it the chosen set does 20.5 weighted buffers per query more: activity_by_payload 2,320 → 359 buffers (6.5x), 45.6x faster (time ±0.64 ms); costs the write mix +0.0% WAL, -0.6% time
--   activity_by_payload: 42.55 ms -> 0.93 ms (45.6x), buffers 2,320 -> 358
--   size 776.0 kB, built in 103 ms
--   write mix: +136 WAL bytes (+0.0%), -2.1 ms (-0.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: without it the chosen set does 17.9 weighted buffers per query more: time_report 691 → 6 buffers (115.2x), 114.6x faster (time ±0.10 ms); costs the write mix +0.0% WAL, -1.2% time
--   time_report: 4.93 ms -> 0.04 ms (114.6x), buffers 691 -> 6
--   size 1.0 MB, built in 47 ms
--   write mix: +256 WAL bytes (+0.0%), -3.9 ms (-1.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: without it the chosen set does 8.8 weighted buffers per query more: user_organizations 92 → 8 buffers (11.2x), 7.4x faster (time ±0.01 ms)
--   user_organizations: 0.89 ms -> 0.12 ms (7.4x), buffers 92 -> 8
--   size 216.0 kB, built in 5 ms
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);

-- pga_task_labels_label_id_0dbbf4be (covering) on task_labels: without it the chosen set does 5.2 weighted buffers per query more: tasks_with_label 1,188 → 927 buffers (1.3x), 3.1x faster (time ±3.23 ms); costs the write mix +0.0% WAL, +9.2% time
--   tasks_with_label: 5.62 ms -> 1.79 ms (3.1x), buffers 1,188 -> 927
--   size 1.8 MB, built in 51 ms
--   write mix: +152 WAL bytes (+0.0%), +27.6 ms (+9.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_0dbbf4be ON task_labels (label_id, task_id);

-- pga_task_activity_task_id_5524b717 (btree) on task_activity: speeds up the writes by 0.560 ms of weighted time per query: purge_deleted_task 54.07 -> 0.59 ms per execution (92.1x faster)
--   size 1.9 MB, built in 44 ms
--   write mix: -21,800 WAL bytes (-0.2%), -277.5 ms (-84.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_task_id_5524b717 ON task_activity (task_id);
