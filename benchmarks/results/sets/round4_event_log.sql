-- Indexes recommended by pg-analyzer for workload event_log.
-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- pga_events_device_id_3eb44709 (fk) on events: without it the chosen set does 12,987.6 weighted buffers per query more: latest_per_device 151,810 → 4,076 buffers (37.2x), 123.6x faster (time ±275.51 ms); costs the write mix +8.6% WAL, -45.6% time
--   latest_per_device: 135.57 ms -> 1.10 ms (123.6x), buffers 151,810 -> 4,076
--   size 712.0 kB, built in 38 ms
--   write mix: +475,880 WAL bytes (+8.6%), -11.1 ms (-45.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_device_id_3eb44709 ON events (device_id);

-- pga_events_tenant_id_e018cc86 (btree) on events: without it the chosen set does 606.1 weighted buffers per query more: open_alerts 3,000 → 150 buffers (20.0x), 36.9x faster (time ±0.96 ms), events_by_type_in_range 3,000 → 17 buffers (180.7x), 292.4x faster (time ±0.65 ms), events_per_day 3,000 → 51 buffers (59.1x), 53.2x faster (time ±0.23 ms); costs the write mix +9.5% WAL, +53.7% time
--   events_by_type_in_range: 13.74 ms -> 0.05 ms (292.4x), buffers 3,000 -> 16
--   open_alerts: 10.01 ms -> 0.27 ms (36.9x), buffers 3,000 -> 149
--   events_per_day: 13.02 ms -> 0.24 ms (53.2x), buffers 3,000 -> 50
--   size 4.4 MB, built in 86 ms
--   write mix: +573,168 WAL bytes (+9.5%), +7.1 ms (+53.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_e018cc86 ON events (tenant_id, event_type, occurred_at);

-- pga_events_tenant_id_cd8fab4f (btree) on events: without it the chosen set does 478.2 weighted buffers per query more: tenant_recent_events 3,000 → 55 buffers (54.7x), 81.9x faster (time ±3.19 ms); costs the write mix +7.0% WAL, +15.0% time
--   tenant_recent_events: 10.32 ms -> 0.13 ms (81.9x), buffers 3,000 -> 54
--   size 3.0 MB, built in 48 ms
--   write mix: +421,672 WAL bytes (+7.0%), +2.0 ms (+15.0%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);

-- pga_events_user_id_1443da43 (btree) on events: without it the chosen set does 135.3 weighted buffers per query more: user_last_types 3,000 → 537 buffers (5.6x), 1.8x faster (time ±4.40 ms); costs the write mix +3.9% WAL, -17.6% time
--   user_last_types: 13.30 ms -> 7.38 ms (1.8x), buffers 3,000 -> 536
--   size 744.0 kB, built in 41 ms
--   write mix: +263,208 WAL bytes (+3.9%), -3.5 ms (-17.6%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_user_id_1443da43 ON events (user_id);

-- pga_events_properties_9ce5c74e (gin) on events: without it the chosen set does 108.4 weighted buffers per query more: events_by_property 3,000 → 535 buffers (5.6x), 74.6x faster (time ±5.83 ms); costs the write mix +2.9% WAL, +25.2% time
--   events_by_property: 32.68 ms -> 0.44 ms (74.6x), buffers 3,000 -> 535
--   size 984.0 kB, built in 55 ms
--   write mix: +206,504 WAL bytes (+2.9%), +4.1 ms (+25.2%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);

-- pga_events_message_e3de51cb (gin) on events: without it the chosen set does 36.5 weighted buffers per query more: search_messages 1,240 → 133 buffers (9.3x), 1.0x faster (time ±1.84 ms); costs the write mix +68.9% WAL, +81.7% time
--   search_messages: 2.38 ms -> 2.30 ms (1.0x), buffers 1,240 -> 133
--   size 11.9 MB, built in 1168 ms
--   write mix: +4,973,360 WAL bytes (+68.9%), +16.6 ms (+81.7%), 0 HOT updates lost
CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);
