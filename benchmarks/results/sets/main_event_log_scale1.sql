CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX pga_events_device_id_3eb44709 ON events (device_id);
CREATE INDEX pga_events_message_e3de51cb ON events USING gin (message gin_trgm_ops);
CREATE INDEX pga_events_properties_9ce5c74e ON events USING gin (properties jsonb_path_ops);
CREATE INDEX pga_events_tenant_id_cd8fab4f ON events (tenant_id, occurred_at);
CREATE INDEX pga_events_tenant_id_e018cc86 ON events (tenant_id, event_type, occurred_at);
CREATE INDEX pga_events_user_id_1443da43 ON events (user_id);
