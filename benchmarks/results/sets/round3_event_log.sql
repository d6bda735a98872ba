-- Indexes recommended by pg-analyzer for workload event_log.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_events_device_id_3eb44709 (fk) on events: without it the chosen set does 12,987.6 weighted buffers per query more: latest_per_device 151,810 → 4,076 buffers (37.2x), 22.3x faster (time ±576.29 ms); costs the write mix +8.7% WAL, +6.9% time
--   latest_per_device: 125.15 ms -> 5.61 ms (22.3x), buffers 151,810 -> 4,076
--   size 712.0 kB, built in 97 ms
--   write mix: +475,880 WAL bytes (+8.7%), +3.4 ms (+6.9%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_device_id_3eb44709 ON events (device_id);

-- pga_events_tenant_id_c9e8a7e5 (btree) on events: without it the chosen set does 570.0 weighted buffers per query more: open_alerts 3,000 → 182 buffers (16.5x), 31.0x faster (time ±0.52 ms), events_by_type_in_range 3,000 → 223 buffers (13.5x), 22.9x faster (time ±2.31 ms); costs the write mix +6.1% WAL, +15.3% time
--   events_by_type_in_range: 9.24 ms -> 0.40 ms (22.9x), buffers 3,000 -> 222
--   open_alerts: 10.68 ms -> 0.34 ms (31.0x), buffers 3,000 -> 181
--   size 728.0 kB, built in 90 ms
--   write mix: +363,928 WAL bytes (+6.1%), +4.2 ms (+15.3%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_c9e8a7e5 ON events (tenant_id, event_type);

-- pga_events_tenant_id_cd8fab4f (btree) on events: without it the chosen set does 531.7 weighted buffers per query more: tenant_recent_events 3,000 → 55 buffers (54.7x), 60.5x faster (time ±2.37 ms), events_by_type_in_range 3,000 → 223 buffers (13.5x), 22.9x faster (time ±2.31 ms), events_per_day 3,000 → 172 buffers (17.4x), 20.9x faster (time ±1.91 ms); costs the write mix +7.1% WAL, +11.0% time
--   tenant_recent_events: 8.71 ms -> 0.14 ms (60.5x), buffers 3,000 -> 54
--   events_by_type_in_range: 9.24 ms -> 0.40 ms (22.9x), buffers 3,000 -> 222
--   events_per_day: 9.72 ms -> 0.46 ms (20.9x), buffers 3,000 -> 172
--   size 3.0 MB, built in 90 ms
--   write mix: +421,840 WAL bytes (+7.1%), +3.0 ms (+11.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);

-- pga_events_user_id_1443da43 (btree) on events: without it the chosen set does 135.3 weighted buffers per query more: user_last_types 3,000 → 537 buffers (5.6x), 1.5x faster (time ±1.84 ms); costs the write mix +2.0% WAL, +6.2% time
--   user_last_types: 20.70 ms -> 13.37 ms (1.5x), buffers 3,000 -> 536
--   size 744.0 kB, built in 56 ms
--   write mix: +133,744 WAL bytes (+2.0%), +1.1 ms (+6.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_user_id_1443da43 ON events (user_id);

-- pga_events_properties_9ce5c74e (gin) on events: without it the chosen set does 108.4 weighted buffers per query more: events_by_property 3,000 → 535 buffers (5.6x), 79.0x faster (time ±9.53 ms); costs the write mix +3.0% WAL, +5.4% time
--   events_by_property: 42.73 ms -> 0.54 ms (79.0x), buffers 3,000 -> 535
--   size 984.0 kB, built in 101 ms
--   write mix: +206,616 WAL bytes (+3.0%), +1.1 ms (+5.4%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);

-- pga_events_message_e3de51cb (gin) on events: without it the chosen set does 36.5 weighted buffers per query more: search_messages 1,240 → 133 buffers (9.3x), 2.3x faster (time ±7.14 ms); costs the write mix +70.7% WAL, +136.7% time
--   search_messages: 7.59 ms -> 3.37 ms (2.3x), buffers 1,240 -> 133
--   size 11.9 MB, built in 1838 ms
--   write mix: +4,989,728 WAL bytes (+70.7%), +31.8 ms (+136.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);
