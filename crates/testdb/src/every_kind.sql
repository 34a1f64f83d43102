-- One object of every kind plain PostgreSQL 14 to 17 DDL can create, with the settings that
-- can be made on each: what the snapshot must hold and verify must compare. Runs as a
-- superuser (event triggers, languages and casts need one). Roles belong to the server, so
-- they are created only when missing: every test database of the server shares them.
DO $$
BEGIN
    CREATE ROLE authdb_reader;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
    CREATE ROLE authdb_other;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application''s own schema';
GRANT USAGE ON SCHEMA app TO authdb_reader;
CREATE EXTENSION pg_trgm SCHEMA app;

ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO authdb_reader;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
COMMENT ON TYPE app.mood IS 'how it went';
CREATE DOMAIN app.email AS text COLLATE "C" NOT NULL DEFAULT 'nobody@example.com'
    CONSTRAINT email_check CHECK (VALUE LIKE '%@%');
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
GRANT USAGE ON TYPE app.floatrange TO authdb_reader;

CREATE SEQUENCE app.counter AS integer START 10 INCREMENT 5 MINVALUE 1 MAXVALUE 100000 CACHE 2 CYCLE;
GRANT USAGE, SELECT ON SEQUENCE app.counter TO authdb_reader;
COMMENT ON SEQUENCE app.counter IS 'counts';

CREATE TABLE app.things (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial_no serial,
    m app.mood NOT NULL DEFAULT 'ok',
    e app.email,
    n integer DEFAULT nextval('app.counter'),
    during tstzrange,
    doubled integer GENERATED ALWAYS AS (n * 2) STORED,
    CONSTRAINT things_n_check CHECK (n > 0),
    CONSTRAINT things_no_overlap EXCLUDE USING gist (during WITH &&)
) WITH (fillfactor = 90);
ALTER TABLE app.things ALTER COLUMN m SET STATISTICS 500,
    ALTER COLUMN e SET STORAGE EXTERNAL,
    ALTER COLUMN n SET (n_distinct = 100);
ALTER TABLE app.things ALTER COLUMN e SET COMPRESSION pglz;
CREATE INDEX things_lower_e_idx ON app.things (lower(e));
ALTER INDEX app.things_lower_e_idx ALTER COLUMN 1 SET STATISTICS 50;
CREATE INDEX things_e_trgm_idx ON app.things USING gin (e app.gin_trgm_ops);
ALTER TABLE app.things CLUSTER ON things_pkey;
ALTER TABLE app.things ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY p_read ON app.things FOR SELECT TO PUBLIC USING (n > 0);
CREATE POLICY p_write ON app.things AS RESTRICTIVE FOR INSERT TO authdb_reader WITH CHECK (n < 1000);
GRANT SELECT (id, m), UPDATE (m) ON app.things TO authdb_reader;
COMMENT ON TABLE app.things IS 'the things';
COMMENT ON COLUMN app.things.m IS 'the mood';
COMMENT ON CONSTRAINT things_n_check ON app.things IS 'positive';
COMMENT ON INDEX app.things_lower_e_idx IS 'case-blind';
COMMENT ON POLICY p_read ON app.things IS 'anyone reads positive rows';
ALTER SEQUENCE app.counter OWNED BY app.things.n;

CREATE TABLE app.notes (thing_id bigint REFERENCES app.things ON DELETE CASCADE, body text);
ALTER TABLE app.notes OWNER TO authdb_other;
ALTER TABLE app.notes REPLICA IDENTITY FULL;

CREATE TABLE app.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at_idx ON app.events (at);

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;
CREATE TRIGGER things_touch BEFORE UPDATE ON app.things FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON TRIGGER things_touch ON app.things IS 'touches';
CREATE FUNCTION app.secure() RETURNS integer LANGUAGE sql STABLE LEAKPROOF PARALLEL SAFE COST 5
    SECURITY DEFINER SET search_path = pg_catalog, app AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION app.secure() TO authdb_reader;
COMMENT ON FUNCTION app.secure() IS 'runs as its owner';
CREATE FUNCTION app.positive(limit_to integer DEFAULT 10) RETURNS SETOF integer LANGUAGE sql ROWS 10
BEGIN ATOMIC
    SELECT n FROM app.things WHERE n > 0 LIMIT limit_to;
END;
CREATE PROCEDURE app.bump(by_how_much integer) LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.things SET n = n + by_how_much;
END;
$$;
CREATE AGGREGATE app.sum2(integer) (sfunc = int4pl, stype = integer, initcond = '0');

CREATE VIEW app.thing_view WITH (security_barrier) AS SELECT id, m FROM app.things WHERE n > 1;
GRANT SELECT ON app.thing_view TO authdb_reader WITH GRANT OPTION;
COMMENT ON VIEW app.thing_view IS 'the visible things';
CREATE FUNCTION app.view_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END;
$$;
CREATE TRIGGER thing_view_insert INSTEAD OF INSERT ON app.thing_view
    FOR EACH ROW EXECUTE FUNCTION app.view_insert();
CREATE MATERIALIZED VIEW app.thing_counts AS SELECT m, count(*) FROM app.things GROUP BY m;
CREATE INDEX thing_counts_m_idx ON app.thing_counts (m);

CREATE RULE no_delete AS ON DELETE TO app.notes DO INSTEAD NOTHING;
CREATE STATISTICS app.things_stats (dependencies) ON m, n FROM app.things;
CREATE TEXT SEARCH CONFIGURATION app.cfg (COPY = english);
CREATE TEXT SEARCH DICTIONARY app.dict (TEMPLATE = simple);
COMMENT ON TEXT SEARCH DICTIONARY app.dict IS 'plain words';
CREATE TEXT SEARCH TEMPLATE app.tmpl (LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH PARSER app.prs (START = prsd_start, GETTOKEN = prsd_nexttoken,
    END = prsd_end, LEXTYPES = prsd_lextype);
CREATE COLLATION app.coll (locale = 'C');
CREATE CONVERSION app.conv FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
CREATE OPERATOR app.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = int4eq);
CREATE OPERATOR FAMILY app.fam USING btree;
CREATE OPERATOR CLASS app.cls FOR TYPE integer USING btree FAMILY app.fam AS
    OPERATOR 1 <, FUNCTION 1 btint4cmp(integer, integer);
CREATE CAST (app.pair AS text) WITH INOUT;
CREATE FOREIGN DATA WRAPPER authdb_fdw;
CREATE SERVER authdb_server FOREIGN DATA WRAPPER authdb_fdw OPTIONS (host 'example.invalid');
CREATE USER MAPPING FOR PUBLIC SERVER authdb_server;
CREATE FOREIGN TABLE app.remote (a integer) SERVER authdb_server OPTIONS (table_name 'remote');
CREATE PUBLICATION authdb_publication FOR TABLE app.things;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
END;
$$;
CREATE EVENT TRIGGER authdb_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE LANGUAGE plpgsql2 HANDLER plpgsql_call_handler;
