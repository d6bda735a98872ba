-- Indexes recommended by pg-analyzer for workload event_log.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

-- pga_events_device_id_3eb44709 (fk) on events: saves 163.65 ms of weighted time per query: latest_per_device 148.0x faster; costs the write mix +93.2% WAL, +11.0% time
--   latest_per_device: 1874.14 ms -> 12.67 ms (148.0x), buffers 97,522 -> 2,490
--   size 704.0 kB, built in 174 ms
--   write mix: +418,312 WAL bytes (+93.2%), +2.6 ms (+11.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_device_id_3eb44709 ON events (device_id);

-- pga_events_tenant_id_cd8fab4f (btree) on events: saves 36.36 ms of weighted time per query: tenant_recent_events 622.2x faster, events_by_type_in_range 326.8x faster, events_per_day 156.5x faster; costs the write mix +78.1% WAL, -37.8% time
--   tenant_recent_events: 68.44 ms -> 0.11 ms (622.2x), buffers 2,868 -> 53
--   events_by_type_in_range: 88.89 ms -> 0.27 ms (326.8x), buffers 2,868 -> 173
--   events_per_day: 62.46 ms -> 0.40 ms (156.5x), buffers 2,868 -> 156
--   size 3.0 MB, built in 221 ms
--   write mix: +350,696 WAL bytes (+78.1%), -10.4 ms (-37.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);

-- pga_events_properties_9ce5c74e (gin) on events: saves 8.19 ms of weighted time per query: events_by_property 385.3x faster; costs the write mix +26.7% WAL, +63.9% time
--   events_by_property: 186.88 ms -> 0.48 ms (385.3x), buffers 2,868 -> 89
--   size 984.0 kB, built in 208 ms
--   write mix: +179,784 WAL bytes (+26.7%), +15.5 ms (+63.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);

-- pga_events_user_id_1443da43 (btree) on events: saves 3.68 ms of weighted time per query: user_last_types 38.5x faster; costs the write mix +32.9% WAL, +16.3% time
--   user_last_types: 68.75 ms -> 1.79 ms (38.5x), buffers 2,868 -> 660
--   size 736.0 kB, built in 137 ms
--   write mix: +275,456 WAL bytes (+32.9%), +5.0 ms (+16.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_user_id_1443da43 ON events (user_id);

-- pga_events_message_e3de51cb (gin) on events: saves 2.02 ms of weighted time per query: search_messages 31.0x faster; costs the write mix +433.7% WAL, +28.4% time
--   search_messages: 63.41 ms -> 2.05 ms (31.0x), buffers 291 -> 238
--   size 11.3 MB, built in 4720 ms
--   write mix: +4,816,184 WAL bytes (+433.7%), +9.1 ms (+28.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);

-- pga_events_tenant_id_c9e8a7e5 (btree) on events: saves 23.25 ms of weighted time per query: open_alerts 519.7x faster, events_by_type_in_range 326.8x faster; costs the write mix +5.3% WAL, -0.8% time
--   events_by_type_in_range: 88.89 ms -> 0.27 ms (326.8x), buffers 2,868 -> 173
--   open_alerts: 82.11 ms -> 0.16 ms (519.7x), buffers 2,868 -> 89
--   size 728.0 kB, built in 236 ms
--   write mix: +312,224 WAL bytes (+5.3%), -0.4 ms (-0.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_c9e8a7e5 ON events (tenant_id, event_type);
