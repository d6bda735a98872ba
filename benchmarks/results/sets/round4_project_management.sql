-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: without it the chosen set does 343.4 weighted buffers per query more: project_tasks_by_status 3,121 → 121 buffers (25.7x), 65.1x faster (time ±1.52 ms), project_tasks_keyset 3,072 → 140 buffers (21.9x), 79.7x faster (time ±1.88 ms), dashboard_status_counts 3,072 → 648 buffers (4.7x), 27.5x faster (time ±1.78 ms); costs the write mix +25.1% WAL, +49.6% time
--   project_tasks_by_status: 19.93 ms -> 0.31 ms (65.1x), buffers 3,120 -> 121
--   dashboard_status_counts: 18.38 ms -> 0.67 ms (27.5x), buffers 3,072 -> 648
--   project_tasks_keyset: 14.50 ms -> 0.18 ms (79.7x), buffers 3,072 -> 140
--   size 4.8 MB, built in 89 ms
--   write mix: +571,704 WAL bytes (+25.1%), +8.0 ms (+49.6%), 5 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_tasks_parent_id_d3ad5d88 (fk) on tasks: without it the chosen set does 642.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 182.9x faster (time ±1.09 ms); costs the write mix +6.7% WAL, -89.4% time
--   task_detail: 32.00 ms -> 0.17 ms (182.9x), buffers 6,123 -> 73
--   size 880.0 kB, built in 38 ms
--   write mix: +177,240 WAL bytes (+6.7%), -168.9 ms (-89.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_d3ad5d88 ON tasks (parent_id);

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: without it the chosen set does 480.6 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 182.9x faster (time ±1.09 ms); costs the write mix +6.7% WAL, -83.6% time
--   task_detail: 32.00 ms -> 0.17 ms (182.9x), buffers 6,123 -> 73
--   size 1.4 MB, built in 42 ms
--   write mix: +219,888 WAL bytes (+6.7%), -114.5 ms (-83.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_tasks_assignee_id_c41735aa (partial) on tasks: without it the chosen set does 97.0 weighted buffers per query more: my_open_tasks 3,229 → 328 buffers (9.9x), 35.5x faster (time ±1.60 ms); costs the write mix +9.3% WAL, +6.9% time
--   my_open_tasks: 24.01 ms -> 0.68 ms (35.5x), buffers 3,229 -> 327
--   size 1.1 MB, built in 38 ms
--   write mix: +264,240 WAL bytes (+9.3%), +1.7 ms (+6.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_c41735aa ON tasks (assignee_id, due_date, id) WHERE status IN ('todo', 'in_progress');

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: without it the chosen set does 175.1 weighted buffers per query more: activity_feed 2,391 → 162 buffers (14.8x), 43.6x faster (time ±4.79 ms); costs the write mix -0.6% WAL, -20.1% time
--   activity_feed: 11.95 ms -> 0.27 ms (43.6x), buffers 2,391 -> 161
--   size 3.6 MB, built in 69 ms
--   write mix: -17,752 WAL bytes (-0.6%), -5.2 ms (-20.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_tasks_assignee_id_78850eac (btree) on tasks: without it the chosen set does 32.5 weighted buffers per query more: project_tasks_by_assignee 3,072 → 17 buffers (185.1x), 511.0x faster (time ±0.33 ms); costs the write mix +17.8% WAL, -1.2% time
--   project_tasks_by_assignee: 16.35 ms -> 0.03 ms (511.0x), buffers 3,072 -> 16
--   size 3.9 MB, built in 93 ms
--   write mix: +506,288 WAL bytes (+17.8%), -0.3 ms (-1.2%), 2 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_78850eac ON tasks (assignee_id, project_id, updated_at);

-- pga_time_entries_task_id_5153d753 (fk) on time_entries: without it the chosen set does 140.9 weighted buffers per query more: task_detail 6,123 → 73 buffers (83.4x), 182.9x faster (time ±1.09 ms); costs the write mix +0.0% WAL, -68.5% time
--   task_detail: 32.00 ms -> 0.17 ms (182.9x), buffers 6,123 -> 73
--   size 944.0 kB, built in 29 ms
--   write mix: +376 WAL bytes (+0.0%), -59.7 ms (-68.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_5153d753 ON time_entries (task_id);

-- pga_tasks_org_id_afa9838e (partial) on tasks: without it the chosen set does 125.7 weighted buffers per query more: overdue_tasks_in_org 3,072 → 72 buffers (42.9x), 77.3x faster (time ±0.28 ms); costs the write mix +7.3% WAL, +10.5% time
--   overdue_tasks_in_org: 18.47 ms -> 0.24 ms (77.3x), buffers 3,072 -> 71
--   size 528.0 kB, built in 43 ms
--   write mix: +264,488 WAL bytes (+7.3%), +2.5 ms (+10.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_tasks_to_tsvector__english_3638025f (gin) on tasks: without it the chosen set does 440.1 weighted buffers per query more: search_titles_fulltext 3,072 → 1,276 buffers (2.4x), 2403.1x faster (time ±18.40 ms); costs the write mix +30.7% WAL, +28.7% time
--   search_titles_fulltext: 879.54 ms -> 0.37 ms (2403.1x), buffers 3,072 -> 1,276
--   size 1.5 MB, built in 510 ms
--   write mix: +1,197,440 WAL bytes (+30.7%), +7.4 ms (+28.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_3638025f ON tasks USING gin ((to_tsvector('english', title))) WHERE deleted_at IS NULL;

-- pga_tasks_title_e026dd18 (gin) on tasks: without it the chosen set does 55.1 weighted buffers per query more: search_titles_substring 2,897 → 268 buffers (10.8x), 68.4x faster (time ±15.35 ms); costs the write mix +116.5% WAL, +53.5% time
--   search_titles_substring: 136.45 ms -> 2.00 ms (68.4x), buffers 2,897 -> 267
--   size 8.9 MB, built in 829 ms
--   write mix: +5,939,352 WAL bytes (+116.5%), +17.8 ms (+53.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_tasks_created_at_33641644 (btree) on tasks: without it the chosen set does 32.7 weighted buffers per query more: project_tasks_keyset 3,072 → 140 buffers (21.9x), 79.7x faster (time ±1.88 ms), tasks_with_label 1,188 → 568 buffers (2.1x), 25.5x faster (time ±5.43 ms); costs the write mix +2.9% WAL, -2.8% time
--   project_tasks_keyset: 14.50 ms -> 0.18 ms (79.7x), buffers 3,072 -> 140
--   tasks_with_label: 4.78 ms -> 0.19 ms (25.5x), buffers 1,188 -> 568
--   size 2.1 MB, built in 51 ms
--   write mix: +325,024 WAL bytes (+2.9%), -1.4 ms (-2.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_created_at_33641644 ON tasks (created_at);

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: without it the chosen set does 20.5 weighted buffers per query more: activity_by_payload 2,320 → 359 buffers (6.5x), 44.1x faster (time ±0.49 ms); costs the write mix +0.0% WAL, +6.2% time
--   activity_by_payload: 36.07 ms -> 0.82 ms (44.1x), buffers 2,320 -> 358
--   size 776.0 kB, built in 65 ms
--   write mix: +584 WAL bytes (+0.0%), +3.1 ms (+6.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: without it the chosen set does 17.9 weighted buffers per query more: time_report 691 → 6 buffers (115.2x), 56.5x faster (time ±0.05 ms); costs the write mix -0.0% WAL, +12.5% time
--   time_report: 3.78 ms -> 0.07 ms (56.5x), buffers 691 -> 6
--   size 1.0 MB, built in 27 ms
--   write mix: -216 WAL bytes (-0.0%), +6.6 ms (+12.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: without it the chosen set does 8.8 weighted buffers per query more: user_organizations 92 → 8 buffers (11.2x), 7.8x faster (time ±0.26 ms)
--   user_organizations: 0.83 ms -> 0.11 ms (7.8x), buffers 92 -> 8
--   size 216.0 kB, built in 7 ms
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);

-- pga_task_labels_label_id_0dbbf4be (covering) on task_labels: without it the chosen set does 5.2 weighted buffers per query more: tasks_with_label 1,188 → 568 buffers (2.1x), 25.5x faster (time ±5.43 ms); costs the write mix +0.0% WAL, +8.7% time
--   tasks_with_label: 4.78 ms -> 0.19 ms (25.5x), buffers 1,188 -> 568
--   size 1.8 MB, built in 44 ms
--   write mix: +608 WAL bytes (+0.0%), +5.1 ms (+8.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_0dbbf4be ON task_labels (label_id, task_id);

-- pga_task_activity_task_id_5524b717 (btree) on task_activity: speeds up the writes by 0.448 ms of weighted time per query: purge_deleted_task 43.36 -> 0.59 ms per execution (73.3x faster)
--   size 1.9 MB, built in 58 ms
--   write mix: +1,128 WAL bytes (+0.0%), -207.1 ms (-77.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_task_id_5524b717 ON task_activity (task_id);
