-- Indexes recommended by pg-analyzer for workload project_management.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

-- pga_tasks_to_tsvector__english_7864951f (gin) on tasks: saves 64.84 ms of weighted time per query: search_titles_fulltext 6659.5x faster; costs the write mix +83.4% WAL, +36.5% time
--   search_titles_fulltext: 2064.43 ms -> 0.31 ms (6659.5x), buffers 3,008 -> 105
--   size 1.5 MB, built in 2016 ms
--   write mix: +1,228,800 WAL bytes (+83.4%), +13.6 ms (+36.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_to_tsvector__english_7864951f ON tasks USING gin ((to_tsvector('english', title)));

-- pga_tasks_parent_id_5e874c4a (fk) on tasks: saves 22.03 ms of weighted time per query: task_detail 650.2x faster; costs the write mix +2.8% WAL, +0.4% time
--   task_detail: 105.34 ms -> 0.16 ms (650.2x), buffers 5,923 -> 17
--   size 448.0 kB, built in 55 ms
--   write mix: +89,728 WAL bytes (+2.8%), +0.2 ms (+0.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_parent_id_5e874c4a ON tasks (parent_id) WHERE parent_id IS NOT NULL;

-- pga_task_comments_task_id_96a48f93 (fk) on task_comments: saves 22.03 ms of weighted time per query: task_detail 650.2x faster; costs the write mix +33.2% WAL, +37.3% time
--   task_detail: 105.34 ms -> 0.16 ms (650.2x), buffers 5,923 -> 17
--   size 1.4 MB, built in 139 ms
--   write mix: +232,216 WAL bytes (+33.2%), +1.1 ms (+37.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_comments_task_id_96a48f93 ON task_comments (task_id);

-- pga_tasks_title_e026dd18 (gin) on tasks: saves 5.84 ms of weighted time per query: search_titles_substring 223.2x faster; costs the write mix +172.1% WAL, +71.2% time
--   search_titles_substring: 280.09 ms -> 1.25 ms (223.2x), buffers 3,008 -> 88
--   size 8.4 MB, built in 2193 ms
--   write mix: +5,767,984 WAL bytes (+172.1%), +50.7 ms (+71.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_title_e026dd18 ON tasks USING gin (title gin_trgm_ops);

-- pga_tasks_org_id_afa9838e (partial) on tasks: saves 3.02 ms of weighted time per query: overdue_tasks_in_org 577.1x faster; costs the write mix +3.0% WAL, +21.5% time
--   overdue_tasks_in_org: 72.14 ms -> 0.12 ms (577.1x), buffers 3,008 -> 104
--   size 528.0 kB, built in 75 ms
--   write mix: +268,416 WAL bytes (+3.0%), +31.0 ms (+21.5%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_org_id_afa9838e ON tasks (org_id, due_date) WHERE status <> 'done';

-- pga_task_activity_org_id_e75b2536 (btree) on task_activity: saves 2.99 ms of weighted time per query: activity_feed 140.6x faster; costs the write mix +23.2% WAL, +140.4% time
--   activity_feed: 38.38 ms -> 0.27 ms (140.6x), buffers 2,424 -> 185
--   size 3.6 MB, built in 190 ms
--   write mix: +2,942,288 WAL bytes (+23.2%), +74.3 ms (+140.4%), 15 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_org_id_e75b2536 ON task_activity (org_id, created_at);

-- pga_time_entries_task_id_5153d753 (fk) on time_entries: saves 22.03 ms of weighted time per query: task_detail 650.2x faster; costs the write mix +10.3% WAL, +9.0% time
--   task_detail: 105.34 ms -> 0.16 ms (650.2x), buffers 5,923 -> 17
--   size 944.0 kB, built in 53 ms
--   write mix: +916,840 WAL bytes (+10.3%), +7.4 ms (+9.0%), 10 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_task_id_5153d753 ON time_entries (task_id);

-- pga_tasks_assignee_id_c41735aa (partial) on tasks: saves 13.43 ms of weighted time per query: my_open_tasks 201.8x faster; costs the write mix +2.8% WAL, -3.3% time
--   my_open_tasks: 103.12 ms -> 0.51 ms (201.8x), buffers 3,312 -> 425
--   size 1.1 MB, built in 74 ms
--   write mix: +275,856 WAL bytes (+2.8%), -6.6 ms (-3.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_assignee_id_c41735aa ON tasks (assignee_id, due_date, id) WHERE status IN ('todo', 'in_progress');

-- pga_task_activity_payload_19540ef9 (gin) on task_activity: saves 1.12 ms of weighted time per query: activity_by_payload 129.8x faster; costs the write mix +3.5% WAL, +26.2% time
--   activity_by_payload: 108.15 ms -> 0.83 ms (129.8x), buffers 2,320 -> 190
--   size 776.0 kB, built in 161 ms
--   write mix: +542,312 WAL bytes (+3.5%), +32.8 ms (+26.2%), 1 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_activity_payload_19540ef9 ON task_activity USING gin (payload jsonb_path_ops);

-- pga_tasks_project_id_7b85fd5a (btree) on tasks: saves 21.76 ms of weighted time per query: project_tasks_by_status 834.1x faster, dashboard_status_counts 56.5x faster, project_tasks_by_assignee 328.6x faster, project_tasks_keyset 346.1x faster; costs the write mix +5.2% WAL, -36.7% time
--   project_tasks_by_status: 75.07 ms -> 0.09 ms (834.1x), buffers 3,112 -> 32
--   project_tasks_by_assignee: 64.40 ms -> 0.20 ms (328.6x), buffers 3,008 -> 145
--   dashboard_status_counts: 59.26 ms -> 1.05 ms (56.5x), buffers 3,008 -> 436
--   project_tasks_keyset: 56.76 ms -> 0.16 ms (346.1x), buffers 3,008 -> 38
--   size 4.8 MB, built in 412 ms
--   write mix: +519,808 WAL bytes (+5.2%), -99.0 ms (-36.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_tasks_project_id_7b85fd5a ON tasks (project_id, status, position, id);

-- pga_time_entries_org_id_a06f9087 (btree) on time_entries: saves 0.25 ms of weighted time per query: time_report 89.2x faster; costs the write mix +10.5% WAL, -3.0% time
--   time_report: 9.72 ms -> 0.11 ms (89.2x), buffers 691 -> 26
--   size 1.0 MB, built in 90 ms
--   write mix: +1,026,080 WAL bytes (+10.5%), -3.8 ms (-3.0%), 31 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_time_entries_org_id_a06f9087 ON time_entries (org_id, spent_on);

-- pga_task_labels_label_id_bddbead0 (btree) on task_labels: saves 0.22 ms of weighted time per query: tasks_with_label 67.3x faster; costs the write mix +8.2% WAL, -39.1% time
--   tasks_with_label: 10.77 ms -> 0.16 ms (67.3x), buffers 379 -> 62
--   size 448.0 kB, built in 89 ms
--   write mix: +317,448 WAL bytes (+8.2%), -11.6 ms (-39.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_task_labels_label_id_bddbead0 ON task_labels (label_id);

-- pga_org_members_user_id_e1b4964e (btree) on org_members: saves 0.08 ms of weighted time per query: user_organizations 8.9x faster; costs the write mix +12.2% WAL, -10.3% time
--   user_organizations: 0.89 ms -> 0.10 ms (8.9x), buffers 131 -> 6
--   size 216.0 kB, built in 10 ms
--   write mix: +195,672 WAL bytes (+12.2%), -1.7 ms (-10.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_org_members_user_id_e1b4964e ON org_members (user_id);
