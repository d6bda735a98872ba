-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: without it the chosen set does 68.3 weighted buffers per query more: project_tasks_by_status 3,121 → 121 buffers (25.7x), 65.5x faster (time ±1.98 ms); costs the write mix +25.1% WAL, +0.4% time
--   project_tasks_by_status: 21.29 ms -> 0.33 ms (65.5x), buffers 3,120 -> 121
--   size 4.8 MB, built in 129 ms
--   write mix: +571,704 WAL bytes (+25.1%), +0.1 ms (+0.4%), 5 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_tasks_project_id_dc52bf37 (btree) on tasks: without it the chosen set does 5.7 weighted buffers per query more: project_tasks_keyset 3,072 → 33 buffers (93.1x), 120.0x faster (time ±2.40 ms), dashboard_status_counts 3,072 → 647 buffers (4.7x), 34.9x faster (time ±3.48 ms); costs the write mix +20.1% WAL, +14.0% time
--   dashboard_status_counts: 20.78 ms -> 0.60 ms (34.9x), buffers 3,072 -> 646
--   project_tasks_keyset: 19.56 ms -> 0.16 ms (120.0x), buffers 3,072 -> 33
--   size 3.9 MB, built in 80 ms
--   write mix: +457,760 WAL bytes (+20.1%), +2.7 ms (+14.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_dc52bf37 ON tasks (project_id, created_at, id);

-- pga_tasks_parent_id_d3ad5d88 (fk) on tasks: without it the chosen set does 642.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 279.5x faster (time ±0.83 ms); costs the write mix +5.7% WAL, -93.8% time
--   task_detail: 34.38 ms -> 0.12 ms (279.5x), buffers 6,123 -> 73
--   size 880.0 kB, built in 55 ms
--   write mix: +177,256 WAL bytes (+5.7%), -233.1 ms (-93.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_d3ad5d88 ON tasks (parent_id);

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: without it the chosen set does 480.6 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 279.5x faster (time ±0.83 ms); costs the write mix +5.9% WAL, -84.4% time
--   task_detail: 34.38 ms -> 0.12 ms (279.5x), buffers 6,123 -> 73
--   size 1.4 MB, built in 42 ms
--   write mix: +219,904 WAL bytes (+5.9%), -157.8 ms (-84.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_tasks_assignee_id_c41735aa (partial) on tasks: without it the chosen set does 97.0 weighted buffers per query more: my_open_tasks 3,229 → 328 buffers (9.9x), 43.5x faster (time ±1.41 ms); costs the write mix +8.8% WAL, +76.5% time
--   my_open_tasks: 30.60 ms -> 0.70 ms (43.5x), buffers 3,229 -> 327
--   size 1.1 MB, built in 46 ms
--   write mix: +289,984 WAL bytes (+8.8%), +11.8 ms (+76.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_c41735aa ON tasks (assignee_id, due_date, id) WHERE status IN ('todo', 'in_progress');

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: without it the chosen set does 175.1 weighted buffers per query more: activity_feed 2,391 → 162 buffers (14.8x), 41.3x faster (time ±4.64 ms); costs the write mix -0.1% WAL, -16.7% time
--   activity_feed: 13.68 ms -> 0.33 ms (41.3x), buffers 2,391 -> 161
--   size 3.6 MB, built in 79 ms
--   write mix: -3,208 WAL bytes (-0.1%), -4.6 ms (-16.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_time_entries_task_id_cfeb4e18 (covering) on time_entries: without it the chosen set does 140.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 279.5x faster (time ±0.83 ms); costs the write mix +0.0% WAL, -5.1% time
--   task_detail: 34.38 ms -> 0.12 ms (279.5x), buffers 6,123 -> 73
--   size 1.5 MB, built in 33 ms
--   write mix: +368 WAL bytes (+0.0%), -1.2 ms (-5.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_cfeb4e18 ON time_entries (task_id, minutes);

-- pga_tasks_org_id_afa9838e (partial) on tasks: without it the chosen set does 125.7 weighted buffers per query more: overdue_tasks_in_org 3,072 → 72 buffers (42.9x), 95.4x faster (time ±1.39 ms); costs the write mix +7.5% WAL, +24.5% time
--   overdue_tasks_in_org: 23.08 ms -> 0.24 ms (95.4x), buffers 3,072 -> 71
--   size 528.0 kB, built in 34 ms
--   write mix: +269,952 WAL bytes (+7.5%), +5.6 ms (+24.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_tasks_assignee_id_78850eac (btree) on tasks: without it the chosen set does 32.4 weighted buffers per query more: project_tasks_by_assignee 3,072 → 17 buffers (185.1x), 451.2x faster (time ±1.94 ms); costs the write mix +14.2% WAL, -1.3% time
--   project_tasks_by_assignee: 19.85 ms -> 0.04 ms (451.2x), buffers 3,072 -> 16
--   size 3.9 MB, built in 66 ms
--   write mix: +548,520 WAL bytes (+14.2%), -0.4 ms (-1.3%), 2 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_78850eac ON tasks (assignee_id, project_id, updated_at);

-- pga_tasks_to_tsvector__english_3638025f (gin) on tasks: without it the chosen set does 440.1 weighted buffers per query more: search_titles_fulltext 3,072 → 1,276 buffers (2.4x), 2542.1x faster (time ±6.84 ms); costs the write mix +27.3% WAL, +25.1% time
--   search_titles_fulltext: 917.70 ms -> 0.36 ms (2542.1x), buffers 3,072 -> 1,276
--   size 1.5 MB, built in 622 ms
--   write mix: +1,203,824 WAL bytes (+27.3%), +7.0 ms (+25.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_3638025f ON tasks USING gin ((to_tsvector('english', title))) WHERE deleted_at IS NULL;

-- pga_tasks_title_e026dd18 (gin) on tasks: without it the chosen set does 55.1 weighted buffers per query more: search_titles_substring 2,897 → 268 buffers (10.8x), 50.9x faster (time ±14.66 ms); costs the write mix +105.7% WAL, +81.0% time
--   search_titles_substring: 144.15 ms -> 2.83 ms (50.9x), buffers 2,897 -> 267
--   size 8.9 MB, built in 816 ms
--   write mix: +5,930,304 WAL bytes (+105.7%), +28.3 ms (+81.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: without it the chosen set does 20.5 weighted buffers per query more: activity_by_payload 2,320 → 359 buffers (6.5x), 47.5x faster (time ±4.35 ms); costs the write mix -0.3% WAL, -1.6% time
--   activity_by_payload: 41.17 ms -> 0.87 ms (47.5x), buffers 2,320 -> 358
--   size 776.0 kB, built in 71 ms
--   write mix: -28,864 WAL bytes (-0.3%), -1.0 ms (-1.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: without it the chosen set does 17.9 weighted buffers per query more: time_report 691 → 6 buffers (115.2x), 111.1x faster (time ±0.62 ms); costs the write mix +0.0% WAL, -5.1% time
--   time_report: 4.78 ms -> 0.04 ms (111.1x), buffers 691 -> 6
--   size 1.0 MB, built in 29 ms
--   write mix: +608 WAL bytes (+0.0%), -3.2 ms (-5.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_tasks_created_at_33641644 (btree) on tasks: without it the chosen set does 7.4 weighted buffers per query more: tasks_with_label 1,188 → 568 buffers (2.1x), 17.2x faster (time ±9.97 ms); costs the write mix +3.1% WAL, -27.0% time
--   tasks_with_label: 3.81 ms -> 0.22 ms (17.2x), buffers 1,188 -> 568
--   size 2.1 MB, built in 46 ms
--   write mix: +352,960 WAL bytes (+3.1%), -15.9 ms (-27.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_created_at_33641644 ON tasks (created_at);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: without it the chosen set does 8.8 weighted buffers per query more: user_organizations 92 → 8 buffers (11.2x), 7.2x faster (time ±0.04 ms)
--   user_organizations: 0.88 ms -> 0.12 ms (7.2x), buffers 92 -> 8
--   size 216.0 kB, built in 5 ms
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);

-- pga_task_labels_label_id_0dbbf4be (covering) on task_labels: without it the chosen set does 5.2 weighted buffers per query more: tasks_with_label 1,188 → 568 buffers (2.1x), 17.2x faster (time ±9.97 ms); costs the write mix +0.0% WAL, +39.6% time
--   tasks_with_label: 3.81 ms -> 0.22 ms (17.2x), buffers 1,188 -> 568
--   size 1.8 MB, built in 31 ms
--   write mix: +640 WAL bytes (+0.0%), +17.1 ms (+39.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_0dbbf4be ON task_labels (label_id, task_id);

-- pga_task_activity_task_id_5524b717 (btree) on task_activity: speeds up the writes by 0.279 ms of weighted time per query: purge_deleted_task 27.19 -> 0.53 ms per execution (51.1x faster)
--   size 1.9 MB, built in 55 ms
--   write mix: +1,616 WAL bytes (+0.0%), -130.9 ms (-70.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_task_id_5524b717 ON task_activity (task_id);
