-- Indexes recommended by pg-analyzer for workload event_log.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_events_device_id_3eb44709 (fk) on events: without it the chosen set does 12,987.6 weighted buffers per query more: latest_per_device 151,810 → 4,076 buffers (37.2x), 210.7x faster (time ±989.77 ms); costs the write mix +8.7% WAL, -1.2% time
--   latest_per_device: 295.58 ms -> 1.40 ms (210.7x), buffers 151,810 -> 4,076
--   size 712.0 kB, built in 73 ms
--   write mix: +475,880 WAL bytes (+8.7%), -0.5 ms (-1.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_device_id_3eb44709 ON events (device_id);

-- pga_events_tenant_id_e018cc86 (btree) on events: without it the chosen set does 606.1 weighted buffers per query more: open_alerts 3,000 → 150 buffers (20.0x), 60.9x faster (time ±0.31 ms), events_by_type_in_range 3,000 → 17 buffers (180.7x), 201.4x faster (time ±0.55 ms), events_per_day 3,000 → 51 buffers (59.1x), 64.4x faster (time ±2.32 ms); costs the write mix +9.7% WAL, -19.8% time
--   events_by_type_in_range: 16.11 ms -> 0.08 ms (201.4x), buffers 3,000 -> 16
--   open_alerts: 16.94 ms -> 0.28 ms (60.9x), buffers 3,000 -> 149
--   events_per_day: 17.13 ms -> 0.27 ms (64.4x), buffers 3,000 -> 50
--   size 4.4 MB, built in 164 ms
--   write mix: +573,352 WAL bytes (+9.7%), -8.7 ms (-19.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_e018cc86 ON events (tenant_id, event_type, occurred_at);

-- pga_events_tenant_id_cd8fab4f (btree) on events: without it the chosen set does 478.2 weighted buffers per query more: tenant_recent_events 3,000 → 55 buffers (54.7x), 92.9x faster (time ±2.74 ms); costs the write mix +7.1% WAL, -32.6% time
--   tenant_recent_events: 13.19 ms -> 0.14 ms (92.9x), buffers 3,000 -> 54
--   size 3.0 MB, built in 100 ms
--   write mix: +421,840 WAL bytes (+7.1%), -14.2 ms (-32.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);

-- pga_events_user_id_1443da43 (btree) on events: without it the chosen set does 135.3 weighted buffers per query more: user_last_types 3,000 → 537 buffers (5.6x), 1.7x faster (time ±9.44 ms); costs the write mix +0.0% WAL, +35.1% time
--   user_last_types: 14.53 ms -> 8.65 ms (1.7x), buffers 3,000 -> 536
--   size 744.0 kB, built in 144 ms
--   write mix: +680 WAL bytes (+0.0%), +12.1 ms (+35.1%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_user_id_1443da43 ON events (user_id);

-- pga_events_properties_9ce5c74e (gin) on events: without it the chosen set does 108.4 weighted buffers per query more: events_by_property 3,000 → 535 buffers (5.6x), 80.5x faster (time ±2.23 ms); costs the write mix +3.0% WAL, +71.8% time
--   events_by_property: 39.59 ms -> 0.49 ms (80.5x), buffers 3,000 -> 535
--   size 984.0 kB, built in 168 ms
--   write mix: +206,520 WAL bytes (+3.0%), +23.0 ms (+71.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);

-- pga_events_message_e3de51cb (gin) on events: without it the chosen set does 36.5 weighted buffers per query more: search_messages 1,240 → 133 buffers (9.3x), 1.0x slower (time ±8.96 ms); costs the write mix +70.0% WAL, +60.8% time
--   search_messages: 2.78 ms -> 2.92 ms (1.0x), buffers 1,240 -> 133
--   size 11.9 MB, built in 2339 ms
--   write mix: +4,989,592 WAL bytes (+70.0%), +22.6 ms (+60.8%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);
