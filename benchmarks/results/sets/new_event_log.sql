-- Indexes recommended by pg-analyzer for workload event_log.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_events_device_id_3eb44709 (fk) on events: without it the chosen set does 10,982.6 weighted buffers per query more: latest_per_device 129,070 → 4,147 buffers (31.1x), 74.4x faster (time ±64.53 ms); costs the write mix +8.1% WAL, +29.3% time
--   latest_per_device: 80.12 ms -> 1.08 ms (74.4x), buffers 129,070 -> 4,147
--   size 704.0 kB, built in 44 ms
--   write mix: +445,088 WAL bytes (+8.1%), +6.9 ms (+29.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_device_id_3eb44709 ON events (device_id);

-- pga_events_tenant_id_e018cc86 (btree) on events: without it the chosen set does 665.9 weighted buffers per query more: open_alerts 2,868 → 223 buffers (12.9x), 47.2x faster (time ±3.97 ms), events_by_type_in_range 2,868 → 12 buffers (239.0x), 214.9x faster (time ±3.37 ms), events_per_day 2,868 → 44 buffers (65.2x), 37.1x faster (time ±2.31 ms); costs the write mix +9.0% WAL, -42.9% time
--   events_by_type_in_range: 12.47 ms -> 0.06 ms (214.9x), buffers 2,868 -> 12
--   open_alerts: 16.41 ms -> 0.35 ms (47.2x), buffers 2,868 -> 223
--   events_per_day: 10.57 ms -> 0.28 ms (37.1x), buffers 2,868 -> 44
--   size 4.4 MB, built in 126 ms
--   write mix: +539,408 WAL bytes (+9.0%), -13.7 ms (-42.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_e018cc86 ON events (tenant_id, event_type, occurred_at);

-- pga_events_tenant_id_cd8fab4f (btree) on events: without it the chosen set does 550.0 weighted buffers per query more: tenant_recent_events 2,868 → 53 buffers (53.7x), 116.8x faster (time ±3.29 ms); costs the write mix +6.6% WAL, +56.8% time
--   tenant_recent_events: 11.44 ms -> 0.10 ms (116.8x), buffers 2,868 -> 53
--   size 3.0 MB, built in 74 ms
--   write mix: +394,744 WAL bytes (+6.6%), +13.6 ms (+56.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);

-- pga_events_user_id_1443da43 (btree) on events: without it the chosen set does 126.1 weighted buffers per query more: user_last_types 2,868 → 574 buffers (5.0x), 44.0x faster (time ±3.35 ms); costs the write mix +4.1% WAL, +2.1% time
--   user_last_types: 21.61 ms -> 0.49 ms (44.0x), buffers 2,868 -> 573
--   size 736.0 kB, built in 84 ms
--   write mix: +273,568 WAL bytes (+4.1%), +0.4 ms (+2.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_user_id_1443da43 ON events (user_id);

-- pga_events_properties_9ce5c74e (gin) on events: without it the chosen set does 103.3 weighted buffers per query more: events_by_property 2,868 → 518 buffers (5.5x), 54.6x faster (time ±6.69 ms); costs the write mix +3.3% WAL, -18.0% time
--   events_by_property: 29.71 ms -> 0.54 ms (54.6x), buffers 2,868 -> 518
--   size 984.0 kB, built in 89 ms
--   write mix: +228,136 WAL bytes (+3.3%), -5.2 ms (-18.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);

-- pga_events_message_e3de51cb (gin) on events: without it the chosen set does 66.4 weighted buffers per query more: search_messages 2,163 → 150 buffers (14.4x), 46.7x faster (time ±116.76 ms); costs the write mix +75.6% WAL, +99.8% time
--   search_messages: 166.92 ms -> 3.57 ms (46.7x), buffers 2,163 -> 150
--   size 11.3 MB, built in 1936 ms
--   write mix: +5,408,168 WAL bytes (+75.6%), +19.6 ms (+99.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);
