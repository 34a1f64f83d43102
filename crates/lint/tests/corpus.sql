-- The parser-fidelity corpus: varied, real-world PostgreSQL, self-contained (it creates what it
-- uses) and valid from PostgreSQL 14 on. tests/corpus.rs splits it the way migrate does
-- (authdb_folder::sql::statements), runs every statement on a real server, and parses every
-- statement with squawk. A statement marked `-- requires: N` needs PostgreSQL N or later and is
-- only run there. A statement squawk's parser rejects although PostgreSQL accepts it carries
-- `-- authdb:allow syntax-error <why>`, exactly as a migration would: the test checks that the
-- allowed statements are precisely the ones squawk rejects, and prints them.
--
-- Left out on purpose: COPY ... FROM STDIN (its data follows the statement in psql's own format,
-- which neither a migration nor a plain query can carry; COPY ... TO STDOUT is here), psql's
-- backslash commands (psql's, not PostgreSQL's), and transaction control (refused in
-- migrations by the folder's `transaction-control`, checked by its own tests).

;; -- empty statements are skipped

/* ---------------------------------------------------------------------------------------------
   Schemas, extensions, types, domains
   /* nested comment: still inside the outer one; a ; here ends nothing */
   --------------------------------------------------------------------------------------------- */

CREATE SCHEMA corpus;
CREATE SCHEMA IF NOT EXISTS corpus_audit;
COMMENT ON SCHEMA corpus IS 'The corpus''s own schema; a ; inside a string ends nothing';
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE corpus.mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE corpus.mood ADD VALUE 'ecstatic' AFTER 'happy';
ALTER TYPE corpus.mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';
ALTER TYPE corpus.mood RENAME VALUE 'meh' TO 'so-so';
CREATE TYPE corpus.address AS (street text, city text, zip varchar(10));
CREATE TYPE corpus.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE DOMAIN corpus.email AS citext CHECK (VALUE ~ '^[^@\s]+@[^@\s]+$');
CREATE DOMAIN corpus.positive_int AS int8 NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
ALTER DOMAIN corpus.positive_int ADD CONSTRAINT below_a_million CHECK (VALUE < 1000000) NOT VALID;
ALTER DOMAIN corpus.positive_int VALIDATE CONSTRAINT below_a_million;
ALTER DOMAIN corpus.email SET DEFAULT 'nobody@example.com';
COMMENT ON DOMAIN corpus.email IS 'An address, compared without case';
CREATE SEQUENCE corpus.invoice_number START WITH 1000 INCREMENT BY 10 MINVALUE 1000 NO MAXVALUE CACHE 1;
ALTER SEQUENCE corpus.invoice_number RESTART WITH 2000;
SELECT setval('corpus.invoice_number', 2500, false);
SELECT nextval('corpus.invoice_number'), currval('corpus.invoice_number');
CREATE COLLATION corpus.posix_c (locale = 'C');
CREATE TEXT SEARCH CONFIGURATION corpus.english_simple (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION corpus.english_simple ALTER MAPPING FOR asciiword WITH simple;

/* ---------------------------------------------------------------------------------------------
   Tables: types, defaults, constraints, identity and generated columns
   --------------------------------------------------------------------------------------------- */

CREATE TABLE corpus.users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           corpus.email NOT NULL,
    password_hash   text,
    display_name    text CHECK (char_length(display_name) BETWEEN 1 AND 80),
    mood            corpus.mood DEFAULT 'ok',
    home            corpus.address,
    tags            text[] NOT NULL DEFAULT '{}',
    settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
    attributes      hstore,
    last_ip         inet,
    network         cidr,
    mac             macaddr,
    balance         numeric(12, 2) NOT NULL DEFAULT 0.00,
    ratio           double precision,
    flags           bit varying(8),
    avatar          bytea,
    search          tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(display_name, ''))) STORED,
    email_domain    text GENERATED ALWAYS AS (split_part(email::text, '@', 2)) STORED,
    active_during   tstzrange,
    session_timeout interval NOT NULL DEFAULT interval '30 minutes',
    birthday        date,
    wake_up         time without time zone,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_balance_check CHECK (balance >= 0) NOT VALID
);
CREATE TABLE corpus.sessions (
    id         bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 1) PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES corpus.users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    token      text NOT NULL UNIQUE,
    user_agent text COLLATE "C",
    expires_at timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    EXCLUDE USING gist (user_id WITH =, tstzrange(created_at, expires_at) WITH &&) WHERE (NOT revoked),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS corpus.counters (
    name  text PRIMARY KEY,
    value bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 70);
CREATE UNLOGGED TABLE corpus.cache (key text PRIMARY KEY, value jsonb, expires timestamptz);
CREATE TEMPORARY TABLE corpus_scratch (id int) ON COMMIT PRESERVE ROWS;
CREATE TABLE corpus.audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     uuid,
    action    text NOT NULL,
    detail    jsonb,
    FOREIGN KEY (actor) REFERENCES corpus.users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE corpus.user_roles (
    user_id uuid REFERENCES corpus.users ON DELETE CASCADE,
    role    text,
    granted timestamptz DEFAULT now(),
    PRIMARY KEY (user_id, role)
);
CREATE TABLE corpus.documents (
    id      int8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    owner   uuid NOT NULL,
    title   text NOT NULL,
    body    text,
    version int4 NOT NULL DEFAULT 1,
    LIKE corpus.counters INCLUDING DEFAULTS EXCLUDING CONSTRAINTS
);
CREATE TABLE corpus.documents_archive (archived_at timestamptz DEFAULT now()) INHERITS (corpus.documents);
CREATE TABLE corpus.points (id serial PRIMARY KEY, location point, area box, path path, around circle);
CREATE TABLE corpus."Mixed Case Table" ("Id" int, "select" text, "a;b" text, "quote""d" text);
CREATE TABLE corpus.café (naïve int, "名前" text, Ärger text);
CREATE TABLE corpus.U&"d\0061ta" (U&"v\+000061lue" int);
CREATE TABLE corpus.typed_table OF corpus.address (PRIMARY KEY (street));
CREATE TABLE corpus.measurements AS SELECT g AS id, random() AS value FROM generate_series(1, 10) AS g;
CREATE TABLE corpus.empty_copy AS TABLE corpus.counters WITH NO DATA;
SELECT * INTO corpus.selected_into FROM corpus.counters;
CREATE TABLE corpus.storage_options (id int, payload text COMPRESSION pglz);

/* ---------------------------------------------------------------------------------------------
   ALTER TABLE
   --------------------------------------------------------------------------------------------- */

ALTER TABLE corpus.users ADD COLUMN locale text NOT NULL DEFAULT 'en';
ALTER TABLE corpus.users ADD COLUMN IF NOT EXISTS nickname varchar(40);
ALTER TABLE corpus.users ALTER COLUMN nickname TYPE text;
ALTER TABLE corpus.users ALTER COLUMN balance TYPE numeric(14, 2) USING balance::numeric(14, 2);
ALTER TABLE corpus.users ALTER COLUMN locale DROP DEFAULT;
ALTER TABLE corpus.users ALTER COLUMN locale SET DEFAULT 'en-GB';
ALTER TABLE corpus.users ALTER COLUMN password_hash SET NOT NULL;
ALTER TABLE corpus.users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE corpus.users ALTER COLUMN display_name SET STATISTICS 500;
ALTER TABLE corpus.users ALTER COLUMN avatar SET STORAGE EXTERNAL;
ALTER TABLE corpus.users ALTER COLUMN ratio SET (n_distinct = -0.5);
ALTER TABLE corpus.users ALTER COLUMN ratio RESET (n_distinct);
ALTER TABLE corpus.users VALIDATE CONSTRAINT users_balance_check;
ALTER TABLE corpus.users ADD CONSTRAINT users_display_name_not_null CHECK (display_name IS NOT NULL) NOT VALID;
ALTER TABLE corpus.users DROP CONSTRAINT users_display_name_not_null;
ALTER TABLE ONLY corpus.sessions ADD CONSTRAINT sessions_expiry_check CHECK (expires_at > created_at);
ALTER TABLE corpus.sessions ALTER COLUMN id SET GENERATED BY DEFAULT;
ALTER TABLE corpus.sessions ALTER COLUMN id RESTART WITH 1000;
ALTER TABLE corpus.documents ALTER COLUMN version DROP DEFAULT, ALTER COLUMN version ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE corpus.documents ALTER COLUMN version DROP IDENTITY IF EXISTS;
ALTER TABLE corpus.documents ALTER COLUMN version SET DEFAULT 1;
ALTER TABLE corpus.users SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05);
ALTER TABLE corpus.users RESET (fillfactor);
ALTER TABLE corpus.cache SET LOGGED;
ALTER TABLE corpus.cache SET UNLOGGED;
ALTER TABLE corpus.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE corpus.users FORCE ROW LEVEL SECURITY;
ALTER TABLE corpus.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE corpus.users REPLICA IDENTITY FULL;
ALTER TABLE corpus.users REPLICA IDENTITY DEFAULT;
ALTER TABLE corpus."Mixed Case Table" RENAME COLUMN "select" TO selected;
ALTER TABLE corpus."Mixed Case Table" RENAME TO mixed_case;
ALTER TABLE IF EXISTS corpus.no_such_table ADD COLUMN x int;
ALTER TABLE corpus.measurements ADD COLUMN note text, ADD COLUMN seen boolean DEFAULT false, DROP COLUMN value;
ALTER TABLE corpus.measurements ADD PRIMARY KEY (id);
ALTER TABLE corpus.measurements SET SCHEMA corpus_audit;
ALTER TABLE corpus_audit.measurements SET SCHEMA corpus;
ALTER TABLE corpus.documents_archive NO INHERIT corpus.documents;
ALTER TABLE corpus.documents_archive INHERIT corpus.documents;
ALTER TABLE corpus.storage_options ALTER COLUMN payload SET COMPRESSION pglz;
ALTER TABLE corpus.storage_options OWNER TO CURRENT_USER;

/* ---------------------------------------------------------------------------------------------
   Indexes
   --------------------------------------------------------------------------------------------- */

CREATE INDEX users_lower_email_idx ON corpus.users (lower(email::text));
CREATE UNIQUE INDEX IF NOT EXISTS users_display_name_key ON corpus.users (display_name) WHERE display_name IS NOT NULL;
CREATE INDEX users_tags_idx ON corpus.users USING gin (tags);
CREATE INDEX users_settings_idx ON corpus.users USING gin (settings jsonb_path_ops);
CREATE INDEX users_search_idx ON corpus.users USING gin (search);
CREATE INDEX users_display_name_trgm_idx ON corpus.users USING gist (display_name gist_trgm_ops);
CREATE INDEX users_created_brin_idx ON corpus.users USING brin (created_at) WITH (pages_per_range = 32);
CREATE INDEX users_locale_hash_idx ON corpus.users USING hash (locale);
CREATE INDEX users_created_desc_idx ON corpus.users (created_at DESC NULLS LAST, id) INCLUDE (mood);
CREATE INDEX users_name_c_idx ON corpus.users (display_name COLLATE "C" text_pattern_ops);
CREATE INDEX CONCURRENTLY sessions_user_id_idx ON corpus.sessions (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_expires_idx ON corpus.sessions (expires_at) WHERE NOT revoked;
CREATE INDEX ON corpus.audit_log (at);
CREATE INDEX audit_log_detail_idx ON corpus.audit_log USING gin ((detail -> 'tags'));
ALTER INDEX corpus.users_locale_hash_idx RENAME TO users_locale_idx;
ALTER INDEX corpus.users_created_desc_idx SET (fillfactor = 80);
ALTER INDEX corpus.users_lower_email_idx ALTER COLUMN 1 SET STATISTICS 100;
REINDEX INDEX corpus.users_locale_idx;
REINDEX INDEX CONCURRENTLY corpus.users_tags_idx;
REINDEX TABLE CONCURRENTLY corpus.counters;
DROP INDEX corpus.users_locale_idx;
DROP INDEX CONCURRENTLY IF EXISTS corpus.sessions_expires_idx;
CLUSTER corpus.counters USING counters_pkey;
ALTER TABLE corpus.counters SET WITHOUT CLUSTER;

/* ---------------------------------------------------------------------------------------------
   Partitions
   --------------------------------------------------------------------------------------------- */

CREATE TABLE corpus.events (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    happened   timestamptz NOT NULL,
    kind       text NOT NULL,
    payload    jsonb,
    PRIMARY KEY (id, happened, kind)
) PARTITION BY RANGE (happened);
CREATE TABLE corpus.events_2024 PARTITION OF corpus.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE corpus.events_2025 PARTITION OF corpus.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (kind);
CREATE TABLE corpus.events_2025_login PARTITION OF corpus.events_2025 FOR VALUES IN ('login', 'logout');
CREATE TABLE corpus.events_2025_other PARTITION OF corpus.events_2025 DEFAULT;
CREATE INDEX events_kind_idx ON corpus.events (kind);
CREATE TABLE corpus.events_2026 (LIKE corpus.events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING COMMENTS);
ALTER TABLE corpus.events ATTACH PARTITION corpus.events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE corpus.events DETACH PARTITION corpus.events_2026;
ALTER TABLE corpus.events DETACH PARTITION corpus.events_2024 CONCURRENTLY;
CREATE TABLE corpus.events_default PARTITION OF corpus.events DEFAULT;
CREATE TABLE corpus.shards (id int8 NOT NULL, data text) PARTITION BY HASH (id);
CREATE TABLE corpus.shards_0 PARTITION OF corpus.shards FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE corpus.shards_1 PARTITION OF corpus.shards FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO corpus.events (happened, kind, payload) VALUES
    ('2025-03-01 10:00+00', 'login', '{"ip": "10.0.0.1"}'),
    ('2025-03-02 11:00+00', 'purchase', '{"amount": 12.5, "items": [1, 2, 3]}'),
    ('2030-01-01 00:00+00', 'future', NULL);

/* ---------------------------------------------------------------------------------------------
   Functions and procedures: dollar quotes, SQL bodies, BEGIN ATOMIC
   --------------------------------------------------------------------------------------------- */

CREATE OR REPLACE FUNCTION corpus.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    -- A ; inside the body ends nothing; neither does END; here.
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE FUNCTION corpus.add(a int, b int DEFAULT 1) RETURNS int
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT a + b';
CREATE FUNCTION corpus.greeting(name text) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN 'Hello, ' || name || '!';
CREATE FUNCTION corpus.user_count(min_balance numeric DEFAULT 0) RETURNS bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT count(*) FROM corpus.users WHERE balance >= min_balance;
END;
CREATE FUNCTION corpus.describe_mood(m corpus.mood) RETURNS text
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE m
        WHEN 'sad' THEN 'down; out'
        WHEN 'happy' THEN 'up'
        ELSE CASE WHEN m IS NULL THEN 'unknown' ELSE 'fine' END
    END;
END;
CREATE FUNCTION corpus.nested_quotes() RETURNS text LANGUAGE plpgsql AS $outer$
DECLARE
    q text := $inner$ it's $$ quoted $$; still $inner$;
BEGIN
    RETURN q || $x$;$x$;
END
$outer$;
CREATE FUNCTION corpus.users_by_mood(wanted corpus.mood)
    RETURNS TABLE (id uuid, email text)
    LANGUAGE plpgsql STABLE
AS $fn$
BEGIN
    RETURN QUERY SELECT u.id, u.email::text FROM corpus.users AS u WHERE u.mood = wanted;
END
$fn$;
CREATE FUNCTION corpus.split_name(full_name text, OUT first text, OUT last text)
    LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(full_name, ' ', 1), split_part(full_name, ' ', 2) $$;
CREATE FUNCTION corpus.total(VARIADIC numbers numeric[]) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $_$ SELECT sum(n) FROM unnest(numbers) AS n $_$;
CREATE FUNCTION corpus.ids() RETURNS SETOF uuid LANGUAGE sql STABLE ROWS 100 COST 10
    AS $$ SELECT id FROM corpus.users $$;
CREATE FUNCTION corpus.secure_lookup(p_email text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = corpus, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    SELECT id INTO found FROM corpus.users WHERE email = p_email::corpus.email;
    IF NOT FOUND THEN
        RAISE NOTICE 'no user %', p_email;
        RETURN NULL;
    END IF;
    RETURN found;
EXCEPTION
    WHEN too_many_rows THEN
        RAISE EXCEPTION 'duplicate email %', p_email USING ERRCODE = 'unique_violation';
END;
$$;
CREATE FUNCTION corpus.counter_next(counter text) RETURNS bigint LANGUAGE plpgsql AS $body$
DECLARE
    result bigint;
BEGIN
    LOOP
        UPDATE corpus.counters SET value = value + 1 WHERE name = counter RETURNING value INTO result;
        EXIT WHEN FOUND;
        BEGIN
            INSERT INTO corpus.counters (name, value) VALUES (counter, 1) RETURNING value INTO result;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            -- another session inserted it; loop and update
        END;
    END LOOP;
    RETURN result;
END
$body$;
CREATE PROCEDURE corpus.archive_documents(older_than interval)
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO corpus.documents_archive (owner, title, body)
        SELECT owner, title, body FROM ONLY corpus.documents WHERE false;
    COMMIT;
END;
$$;
CREATE PROCEDURE corpus.noop() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
CALL corpus.noop();
CALL corpus.archive_documents(interval '1 year');
CREATE AGGREGATE corpus.product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');
CREATE OPERATOR corpus.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq, COMMUTATOR = OPERATOR(corpus.===));
CREATE FUNCTION corpus.mood_to_int(corpus.mood) RETURNS int LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_position(enum_range(NULL::corpus.mood), $1) $$;
CREATE CAST (corpus.mood AS int) WITH FUNCTION corpus.mood_to_int(corpus.mood) AS ASSIGNMENT;
ALTER FUNCTION corpus.add(int, int) RENAME TO plus;
ALTER FUNCTION corpus.plus(int, int) SET search_path = pg_catalog;
ALTER FUNCTION corpus.greeting(text) COST 5;
ALTER PROCEDURE corpus.noop() RENAME TO nothing;
COMMENT ON FUNCTION corpus.greeting(text) IS 'Says hello';
SELECT corpus.plus(1, 2), corpus.greeting('world'), corpus.user_count(), corpus.describe_mood('sad');
SELECT * FROM corpus.split_name('Ada Lovelace');
SELECT corpus.total(1, 2, 3.5), corpus.total(VARIADIC ARRAY[1, 2]::numeric[]);
SELECT corpus.counter_next('logins'), corpus.counter_next('logins');
SELECT corpus.nested_quotes(), corpus.product(x) FROM generate_series(1, 5) AS x GROUP BY 1;

/* ---------------------------------------------------------------------------------------------
   DO blocks
   --------------------------------------------------------------------------------------------- */

DO $$
BEGIN
    RAISE NOTICE 'hello from a DO block; with a semicolon';
END
$$;
DO LANGUAGE plpgsql $do$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'corpus' ORDER BY 1 LOOP
        EXECUTE format('ANALYZE %I.%I', 'corpus', t.tablename);
    END LOOP;
END
$do$;
DO $$
DECLARE
    n int := 0;
BEGIN
    WHILE n < 3 LOOP
        n := n + 1;
        CONTINUE WHEN n = 2;
        PERFORM pg_sleep(0);
    END LOOP;
    IF n <> 3 THEN
        RAISE EXCEPTION 'n is %', n;
    ELSIF n = 3 THEN
        NULL;
    ELSE
        RAISE WARNING 'unreachable';
    END IF;
    CASE n WHEN 3 THEN NULL; ELSE RAISE EXCEPTION 'case'; END CASE;
EXCEPTION
    WHEN division_by_zero OR numeric_value_out_of_range THEN
        RAISE NOTICE 'caught';
END
$$;
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'corpus_reader') THEN CREATE ROLE corpus_reader NOLOGIN; END IF; END $$;
DO $$ BEGIN PERFORM set_config('corpus.flag', 'on', false); END $$;

/* ---------------------------------------------------------------------------------------------
   Triggers, rules, event triggers
   --------------------------------------------------------------------------------------------- */

CREATE TRIGGER users_touch BEFORE UPDATE ON corpus.users
    FOR EACH ROW EXECUTE FUNCTION corpus.touch_updated_at();
CREATE OR REPLACE TRIGGER users_touch BEFORE UPDATE ON corpus.users
    FOR EACH ROW WHEN (OLD.settings IS DISTINCT FROM NEW.settings) EXECUTE FUNCTION corpus.touch_updated_at();
CREATE FUNCTION corpus.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO corpus.audit_log (action, detail)
        VALUES (TG_OP || ' on ' || TG_TABLE_NAME, to_jsonb(coalesce(NEW, OLD)));
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_log AFTER INSERT OR UPDATE OF revoked OR DELETE ON corpus.sessions
    FOR EACH ROW EXECUTE PROCEDURE corpus.log_change();
CREATE FUNCTION corpus.count_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO corpus.audit_log (action, detail) SELECT 'bulk insert', jsonb_build_object('rows', count(*)) FROM new_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER documents_bulk AFTER INSERT ON corpus.documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION corpus.count_new();
CREATE CONSTRAINT TRIGGER user_roles_check AFTER INSERT ON corpus.user_roles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION corpus.log_change();
ALTER TABLE corpus.sessions DISABLE TRIGGER sessions_log;
ALTER TABLE corpus.sessions ENABLE TRIGGER sessions_log;
ALTER TABLE corpus.sessions ENABLE ALWAYS TRIGGER sessions_log;
ALTER TRIGGER sessions_log ON corpus.sessions RENAME TO sessions_audit;
CREATE TABLE corpus.rule_log (note text);
CREATE RULE measurements_log AS ON UPDATE TO corpus.measurements
    DO ALSO (INSERT INTO corpus.rule_log VALUES ('updated; once'); INSERT INTO corpus.rule_log VALUES ('twice'));
CREATE RULE rule_log_protect AS ON DELETE TO corpus.rule_log DO INSTEAD NOTHING;
CREATE FUNCTION corpus.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'ddl: %', tg_tag;
END
$$;
CREATE EVENT TRIGGER corpus_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
    EXECUTE FUNCTION corpus.on_ddl();
ALTER EVENT TRIGGER corpus_ddl DISABLE;
DROP EVENT TRIGGER corpus_ddl;

/* ---------------------------------------------------------------------------------------------
   Views
   --------------------------------------------------------------------------------------------- */

CREATE VIEW corpus.active_users AS
    SELECT id, email, display_name FROM corpus.users WHERE mood <> 'sad';
CREATE OR REPLACE VIEW corpus.active_users AS
    SELECT id, email, display_name, locale FROM corpus.users WHERE mood <> 'sad';
CREATE VIEW corpus.rich_users WITH (security_barrier = true) AS
    SELECT * FROM corpus.users WHERE balance > 1000 WITH CASCADED CHECK OPTION;
CREATE RECURSIVE VIEW corpus.countdown (n) AS SELECT 3 UNION ALL SELECT n - 1 FROM countdown WHERE n > 0;
CREATE MATERIALIZED VIEW corpus.mood_counts AS
    SELECT mood, count(*) AS users FROM corpus.users GROUP BY mood WITH NO DATA;
CREATE UNIQUE INDEX mood_counts_mood_idx ON corpus.mood_counts (mood);
REFRESH MATERIALIZED VIEW corpus.mood_counts;
REFRESH MATERIALIZED VIEW CONCURRENTLY corpus.mood_counts;
ALTER MATERIALIZED VIEW corpus.mood_counts RENAME TO mood_totals;
ALTER VIEW corpus.active_users ALTER COLUMN locale SET DEFAULT 'en';
CREATE FUNCTION corpus.view_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO corpus.users (email, display_name) VALUES (NEW.email, NEW.display_name);
    RETURN NEW;
END
$$;
CREATE VIEW corpus.signups AS SELECT email::text AS email, display_name FROM corpus.users;
CREATE TRIGGER signups_insert INSTEAD OF INSERT ON corpus.signups
    FOR EACH ROW EXECUTE FUNCTION corpus.view_insert();

/* ---------------------------------------------------------------------------------------------
   Roles, grants, policies
   --------------------------------------------------------------------------------------------- */

CREATE ROLE corpus_app LOGIN PASSWORD 'not-a-real-secret' CONNECTION LIMIT 10 VALID UNTIL 'infinity';
CREATE ROLE corpus_admin NOLOGIN INHERIT;
ALTER ROLE corpus_app SET statement_timeout = '5s';
ALTER ROLE corpus_app IN DATABASE postgres SET work_mem = '8MB';
GRANT corpus_reader TO corpus_app;
GRANT USAGE ON SCHEMA corpus TO corpus_app, corpus_reader;
GRANT SELECT, INSERT, UPDATE (display_name, settings), DELETE ON corpus.users TO corpus_app;
GRANT SELECT ON ALL TABLES IN SCHEMA corpus TO corpus_reader;
GRANT EXECUTE ON FUNCTION corpus.greeting(text) TO PUBLIC;
GRANT USAGE, SELECT ON SEQUENCE corpus.invoice_number TO corpus_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA corpus GRANT SELECT ON TABLES TO corpus_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
REVOKE UPDATE (settings) ON corpus.users FROM corpus_app;
REVOKE ALL ON corpus.cache FROM PUBLIC;
CREATE POLICY users_self ON corpus.users
    FOR ALL TO corpus_app
    USING (id = current_setting('app.user_id', true)::uuid)
    WITH CHECK (id = current_setting('app.user_id', true)::uuid);
CREATE POLICY users_admin ON corpus.users AS PERMISSIVE FOR SELECT TO corpus_admin USING (true);
CREATE POLICY users_no_sad ON corpus.users AS RESTRICTIVE FOR UPDATE USING (mood <> 'sad');
ALTER POLICY users_admin ON corpus.users RENAME TO users_administrators;
ALTER POLICY users_administrators ON corpus.users TO corpus_admin, corpus_reader;
DROP POLICY IF EXISTS users_no_sad ON corpus.users;
ALTER TABLE corpus.users OWNER TO postgres;
SET ROLE corpus_admin;
RESET ROLE;
SET SESSION AUTHORIZATION DEFAULT;

/* ---------------------------------------------------------------------------------------------
   Data: INSERT, UPDATE, DELETE, MERGE, strings and literals
   --------------------------------------------------------------------------------------------- */

INSERT INTO corpus.users (email, display_name, mood, tags, settings, home, attributes, last_ip)
VALUES
    ('ada@example.com', 'Ada', 'happy', ARRAY['math', 'engines'], '{"theme": "dark"}', ROW('1 St', 'London', 'N1'), 'a=>1, b=>2', '192.168.0.1'),
    ('grace@example.com', 'Grace', 'ok', '{cobol,navy}', '{"theme": "light", "beta": true}', ('2 Ave', 'Arlington', '22201'), NULL, '::1'),
    ('linus@example.com', E'Linus\tT.', 'sad', '{}', jsonb_build_object('editor', 'micro'), NULL, hstore('k', 'v'), NULL);
INSERT INTO corpus.users (email, display_name) VALUES ('Ada@Example.com', 'Duplicate')
    ON CONFLICT (email) DO NOTHING;
INSERT INTO corpus.users AS u (email, display_name) VALUES ('grace@example.com', 'Grace H.')
    ON CONFLICT ON CONSTRAINT users_email_key
    DO UPDATE SET display_name = EXCLUDED.display_name, updated_at = now()
    WHERE u.display_name IS DISTINCT FROM EXCLUDED.display_name
    RETURNING id, (xmax = 0) AS inserted;
INSERT INTO corpus.sessions (user_id, token, expires_at)
    SELECT id, encode(gen_random_bytes(16), 'hex'), now() + interval '1 day' FROM corpus.users
    RETURNING *;
INSERT INTO corpus.sessions (id, user_id, token, expires_at, revoked) OVERRIDING SYSTEM VALUE
    SELECT 5000, id, 'fixed-token', 'infinity', true FROM corpus.users ORDER BY email LIMIT 1;
INSERT INTO corpus.rule_log DEFAULT VALUES;
INSERT INTO corpus.counters (name) VALUES ('a'), ('b'), ('c') ON CONFLICT (name) DO UPDATE SET value = corpus.counters.value + 1;
INSERT INTO corpus.documents (owner, title, body, name)
    SELECT id, 'Notes of ' || display_name, $$It's "quoted"; with $dollars$ and ;$$, 'doc' FROM corpus.users;
INSERT INTO corpus.mixed_case ("Id", selected, "a;b", "quote""d") VALUES (1, 'x', 'semi;colon', 'dq"uote');
INSERT INTO corpus.café (naïve, "名前", Ärger) VALUES (1, '日本語のテキスト', 'ÄÖÜ ß €');
INSERT INTO corpus.U&"d\0061ta" (U&"v\+000061lue") VALUES (42);
INSERT INTO corpus.points (location, area, path, around) VALUES (point(1, 2), box '((0,0),(1,1))', '[(0,0),(1,1),(2,0)]', '<(0,0),5>');
UPDATE corpus.users SET mood = 'happy', settings = settings || '{"seen": true}' WHERE email = 'linus@example.com';
UPDATE corpus.users SET settings = jsonb_set(settings, '{theme}', '"blue"', true) WHERE settings ? 'theme';
UPDATE corpus.users AS u SET balance = u.balance + s.n
    FROM (SELECT user_id, count(*) AS n FROM corpus.sessions GROUP BY user_id) AS s
    WHERE s.user_id = u.id;
UPDATE corpus.users SET (display_name, locale) = (SELECT 'Ada L.', 'en-GB') WHERE display_name = 'Ada';
UPDATE corpus.sessions SET revoked = true WHERE expires_at < now() RETURNING id, token;
UPDATE corpus.counters SET value = DEFAULT WHERE name = 'c';
DELETE FROM corpus.sessions AS s USING corpus.users AS u WHERE s.user_id = u.id AND u.mood = 'sad';
DELETE FROM ONLY corpus.documents WHERE title LIKE 'Notes of x%' ESCAPE '!' RETURNING id;
DELETE FROM corpus.counters WHERE name = ANY (ARRAY['zzz', 'yyy']);
-- requires: 15
MERGE INTO corpus.counters AS c
USING (VALUES ('a', 10), ('new', 1)) AS v (name, delta)
ON c.name = v.name
WHEN MATCHED AND v.delta > 5 THEN UPDATE SET value = c.value + v.delta
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED THEN INSERT (name, value) VALUES (v.name, v.delta);
-- requires: 17
MERGE INTO corpus.counters AS c USING (SELECT 'b' AS name) AS v ON c.name = v.name
WHEN NOT MATCHED BY SOURCE AND c.name = 'nothing' THEN DELETE
WHEN MATCHED THEN DO NOTHING
RETURNING merge_action(), c.*;
SELECT E'tab\there', E'quote\'s', E'back\\slash', E'\x41\101\u00e9', U&'\0041\+01F600 caf\00e9', 'it''s';
SELECT 'C:\path\to\dir\', 'no escapes in a standard string: \n';
SELECT U&'d!0061t!+000061' UESCAPE '!', B'1010' | B'0101', X'1F'::bit(8), 1e10, .5, 5., 1.5e-3, -0.0;
SELECT $$dollar ' quoted " string; with -- no comment$$, $tag$nested $$ inside$tag$, $a1$x$a1$;
SELECT 'multi'
    'line'
    ' string continuation';
SELECT date '2024-02-29', time '12:34:56.789', timestamp '2024-01-01 00:00', timestamptz '2024-01-01 00:00+02',
    interval '1 year 2 months 3 days', interval '90' minute, '{1,2,3}'::int[], '[1,5)'::int4range;
SELECT 1 -- a comment; with a semicolon
    + 2 /* and a /* nested */ block */ AS three;
SELECT 10 % 3, 2 ^ 10, |/ 25, ||/ 27, @ -5, 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 16 >> 2, 'a' || 'b';
SELECT 'abc' ~ '^a', 'ABC' ~* 'b', 'abc' !~ 'z', 'abc' SIMILAR TO '%(b|d)%', 'Abc' ILIKE 'a%', 'x' NOT LIKE 'y';
SELECT '{"a": {"b": [1, 2]}}'::jsonb -> 'a' ->> 'b', '{"a": {"b": 1}}'::jsonb #>> '{a,b}',
    '{"a": 1}'::jsonb @> '{"a": 1}', '{"a": 1}'::jsonb ?| ARRAY['a', 'c'], '{"a": [1]}'::jsonb @? '$.a[*] ? (@ > 0)';
SELECT ARRAY[1, 2, 3] @> ARRAY[2], ARRAY[1, 2] && ARRAY[2, 3], (ARRAY[1, 2, 3])[2:3], array_length(ARRAY[[1, 2], [3, 4]], 2);
SELECT 'a fat cat'::tsvector @@ 'cat & fat'::tsquery, to_tsvector('english', 'The cats') @@ plainto_tsquery('cat');
SELECT '192.168.1.5'::inet << '192.168.1.0/24'::cidr, int4range(1, 10) @> 5, tstzrange(now(), NULL) && tstzrange(now(), now() + interval '1h');
SELECT CAST('42' AS int8), '42'::numeric(5, 1), 42::text::int, pg_typeof(1::regclass), 'corpus.users'::regclass;
SELECT display_name COLLATE "C" FROM corpus.users ORDER BY display_name COLLATE "C" DESC NULLS FIRST;
SELECT * FROM corpus.mixed_case WHERE "a;b" = 'semi;colon' AND "quote""d" = 'dq"uote';
SELECT naïve, "名前", Ärger FROM corpus.café;
SELECT U&"v\+000061lue" FROM corpus.U&"d\0061ta";

/* ---------------------------------------------------------------------------------------------
   Queries
   --------------------------------------------------------------------------------------------- */

SELECT DISTINCT ON (user_id) user_id, token, created_at FROM corpus.sessions ORDER BY user_id, created_at DESC;
SELECT mood, count(*) FILTER (WHERE balance > 0) AS paying, avg(balance)::numeric(10, 2)
    FROM corpus.users GROUP BY mood HAVING count(*) > 0 ORDER BY 2 DESC;
SELECT mood, locale, count(*) FROM corpus.users GROUP BY GROUPING SETS ((mood), (locale), ());
SELECT mood, locale, count(*) FROM corpus.users GROUP BY ROLLUP (mood, locale);
SELECT mood, locale, grouping(mood, locale), count(*) FROM corpus.users GROUP BY CUBE (mood, locale);
SELECT id, balance, sum(balance) OVER w, rank() OVER w, lag(balance, 1, 0) OVER w,
    first_value(email) OVER (PARTITION BY mood ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    FROM corpus.users WINDOW w AS (PARTITION BY mood ORDER BY balance RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
SELECT u.email, s.last_token FROM corpus.users AS u
    LEFT JOIN LATERAL (SELECT token AS last_token FROM corpus.sessions WHERE user_id = u.id ORDER BY created_at DESC LIMIT 1) AS s ON true;
SELECT * FROM corpus.users AS u
    JOIN corpus.sessions AS s ON s.user_id = u.id
    FULL OUTER JOIN corpus.user_roles AS r USING (user_id)
    CROSS JOIN (VALUES (1)) AS one (n)
    NATURAL LEFT JOIN corpus.counters
    WHERE u.email IS NOT NULL;
WITH RECURSIVE tree (n, path) AS (
    SELECT 1, ARRAY[1]
    UNION ALL
    SELECT n + 1, path || (n + 1) FROM tree WHERE n < 5
) SEARCH DEPTH FIRST BY n SET ordercol
  CYCLE n SET is_cycle USING cycle_path
SELECT * FROM tree;
WITH recent AS MATERIALIZED (SELECT * FROM corpus.sessions WHERE created_at > now() - interval '1 day'),
     counted AS NOT MATERIALIZED (SELECT user_id, count(*) AS n FROM recent GROUP BY user_id)
SELECT u.email, coalesce(c.n, 0) FROM corpus.users AS u LEFT JOIN counted AS c ON c.user_id = u.id;
WITH moved AS (
    DELETE FROM corpus.counters WHERE name = 'b' RETURNING *
)
INSERT INTO corpus.rule_log (note) SELECT 'moved ' || name FROM moved;
SELECT id FROM corpus.users WHERE id IN (SELECT user_id FROM corpus.sessions)
    UNION SELECT actor FROM corpus.audit_log WHERE actor IS NOT NULL
    EXCEPT SELECT user_id FROM corpus.user_roles
    INTERSECT ALL SELECT id FROM corpus.users;
SELECT * FROM corpus.users WHERE EXISTS (SELECT 1 FROM corpus.sessions WHERE user_id = users.id) AND NOT (mood = ANY ('{sad}'));
SELECT * FROM corpus.users ORDER BY created_at FETCH FIRST 2 ROWS WITH TIES;
SELECT * FROM corpus.users ORDER BY email USING > OFFSET 1 ROWS LIMIT ALL;
SELECT * FROM corpus.counters FOR UPDATE SKIP LOCKED;
SELECT * FROM corpus.counters FOR NO KEY UPDATE OF counters NOWAIT;
SELECT * FROM corpus.sessions TABLESAMPLE BERNOULLI (50) REPEATABLE (42);
SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a', 'b'])) WITH ORDINALITY AS t (n, letter, ord);
SELECT * FROM jsonb_to_recordset('[{"a": 1, "b": "x"}, {"a": 2}]') AS r (a int, b text);
SELECT key, value FROM jsonb_each('{"x": 1, "y": [2]}') ORDER BY key;
SELECT jsonb_agg(u ORDER BY u.email) FILTER (WHERE u.mood IS NOT NULL), string_agg(DISTINCT locale, ', ' ORDER BY locale)
    FROM corpus.users AS u;
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY balance), mode() WITHIN GROUP (ORDER BY mood) FROM corpus.users;
SELECT array_agg(x ORDER BY x DESC), xmlelement(name p, 'x & y'), xmlforest(1 AS a, 'b' AS b) FROM generate_series(1, 3) AS x;
SELECT CASE WHEN balance > 100 THEN 'rich' WHEN balance > 0 THEN 'paying' ELSE 'free' END AS tier,
    nullif(locale, 'en'), greatest(1, 2, 3), least('a', 'b'), coalesce(NULL, NULL, 'x') FROM corpus.users;
SELECT extract(epoch FROM now()), date_trunc('hour', now()), now() AT TIME ZONE 'Europe/Paris',
    make_interval(days => 3), to_char(now(), 'YYYY-MM-DD"T"HH24:MI'), age(timestamp '2000-01-01');
SELECT format('%I.%I = %L', 'corpus', 'users', 'o''brien'), quote_ident('Mixed Case'), substring('hello' FROM 2 FOR 3),
    position('l' IN 'hello'), overlay('hello' PLACING 'J' FROM 1 FOR 1), trim(BOTH 'x' FROM 'xhix'), regexp_replace('a1b2', '\d', '', 'g');
SELECT row_to_json(u), to_jsonb(ROW(1, 'a')), (u.home).city, (u.home).* FROM corpus.users AS u LIMIT 1;
SELECT id FROM corpus.users WHERE (email, display_name) IN (('ada@example.com', 'Ada L.'), ('x', 'y'));
SELECT 1 WHERE 'a' IS NOT DISTINCT FROM 'a' AND 2 BETWEEN SYMMETRIC 3 AND 1 AND NULL IS NULL AND true IS TRUE;
SELECT count(*) FROM corpus.users WHERE tags && '{math}' OR settings @> '{"beta": true}' OR email::text ~~* '%EXAMPLE%';
SELECT * FROM corpus.countdown;
TABLE corpus.counters;
VALUES (1, 'one'), (2, 'two') ORDER BY 1 DESC LIMIT 1;
SELECT current_user, session_user, current_schema, current_database(), version() IS NOT NULL, pg_backend_pid() > 0;
SELECT pg_size_pretty(pg_total_relation_size('corpus.users')), has_table_privilege('corpus_app', 'corpus.users', 'SELECT');
-- requires: 16
SELECT 0x1F, 0o17, 0b101, 1_000_000, JSON_OBJECT('a': 1), '{"a": 1}' IS JSON OBJECT;
-- requires: 17
SELECT * FROM JSON_TABLE('[{"a": 1}, {"a": 2}]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) AS jt;
EXPLAIN SELECT * FROM corpus.users WHERE email = 'ada@example.com';
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, FORMAT json) SELECT count(*) FROM corpus.sessions;
EXPLAIN (VERBOSE) UPDATE corpus.counters SET value = value WHERE false;

/* ---------------------------------------------------------------------------------------------
   Rarely seen, still PostgreSQL
   --------------------------------------------------------------------------------------------- */

-- authdb:allow syntax-error SET NAMES is the SQL standard's spelling of SET client_encoding, which PostgreSQL accepts and squawk's parser does not know
SET NAMES 'UTF8';
SET client_encoding = 'UTF8';
SELECT $é$dollar tag in unicode$é$, $_$_$_$;
CREATE TABLE corpus.ex$1 (a$b int, "$" text);
CREATE SCHEMA corpus_elements AUTHORIZATION CURRENT_USER
    CREATE TABLE t1 (a int)
    CREATE VIEW v1 AS SELECT a FROM t1;
DROP SCHEMA corpus_elements CASCADE;
SELECT 'continued' -- a comment between the parts of one string constant
    ' string';
SELECT corpus.greeting(name := 'old style'), corpus.greeting(name => 'new style');
SELECT int4multirange(int4range(1, 2), int4range(5, 6)), '{[1,2), [3,4)}'::int4multirange @> 3;
SELECT mood, locale FROM corpus.users GROUP BY DISTINCT ROLLUP (mood, locale), CUBE (locale);
SELECT j.user_id FROM corpus.sessions AS s JOIN corpus.user_roles AS r USING (user_id) AS j;
SELECT x.a FROM XMLTABLE('/r/a' PASSING xml '<r><a v="1"/><a v="2"/></r>' COLUMNS a int PATH '@v') AS x;
SELECT xmlparse(document '<a/>'), xmlserialize(content '<a>b</a>' AS text), xmlroot(xml '<a/>', version '1.0', standalone yes);
SELECT (DATE '2001-02-16', DATE '2001-12-21') OVERLAPS (DATE '2001-10-30', DATE '2002-10-30'), COLLATION FOR ('a');
SELECT 'a' IS NFC NORMALIZED, normalize('ａ', NFKC), substring('abc' SIMILAR 'a#"b#"c' ESCAPE '#');
SELECT CURRENT_TIMESTAMP(3), LOCALTIME, LOCALTIMESTAMP(2), CURRENT_DATE, CURRENT_CATALOG, CURRENT_ROLE;
SELECT interval '1' day to second, INTERVAL '1-2' YEAR TO MONTH, timestamp(3) '2020-01-01', TIME WITH TIME ZONE '04:05:06 PST';
SELECT 1::"numeric"(10,2), 1::float(24), 1::dec(5,2), '{1}'::integer[3], 'x'::character varying(3), 1::national character varying;
SELECT '(1,1)'::point <-> '(2,2)'::point, point '(1,1)' <@ box '((0,0),(2,2))', box '((0,0),(1,1))' &<| box '((0,0),(2,2))';
SELECT -/* a comment inside an expression */1, (ARRAY[1, 2, 3])[:2], (ARRAY[1, 2, 3])[2:], ARRAY[]::int[], ROW();
SELECT count(*) OVER (ORDER BY balance GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM corpus.users;
SELECT rank(100) WITHIN GROUP (ORDER BY balance), count(DISTINCT mood), count(ALL mood) FROM corpus.users;
SELECT ctid, xmin, tableoid::regclass FROM corpus.users LIMIT 1;
SELECT * FROM ONLY corpus.documents AS d, corpus.documents* AS all_docs WHERE d.id = all_docs.id;
SELECT x FROM corpus.users AS x LIMIT 1;
CREATE TABLE corpus.empty_columns ();
CREATE UNLOGGED TABLE corpus.ex_nnd (a int, CONSTRAINT ex_nnd_a_excl EXCLUDE (a WITH =));
CREATE SEQUENCE corpus.small_seq AS smallint OWNED BY NONE;
ALTER SEQUENCE corpus.small_seq OWNED BY corpus.ex_nnd.a;
CREATE PROCEDURE corpus.increment(INOUT x int) LANGUAGE plpgsql AS $$ BEGIN x := x + 1; END $$;
CALL corpus.increment(41);
DO 'BEGIN NULL; END';
CREATE TYPE corpus.pair AS (a int, b int);
ALTER TYPE corpus.pair ADD ATTRIBUTE c text CASCADE;
ALTER TYPE corpus.pair RENAME ATTRIBUTE b TO second;
ANALYZE (VERBOSE, SKIP_LOCKED) corpus.counters;
VACUUM (PARALLEL 2, PROCESS_TOAST false) corpus.counters;
REINDEX (VERBOSE) TABLE corpus.counters;
EXPLAIN (SETTINGS, WAL, SUMMARY, TIMING false, ANALYZE) SELECT 1;
CREATE SUBSCRIPTION corpus_sub CONNECTION 'dbname=nowhere' PUBLICATION nothing WITH (connect = false);
ALTER SUBSCRIPTION corpus_sub DISABLE;
ALTER SUBSCRIPTION corpus_sub SET (slot_name = NONE);
DROP SUBSCRIPTION corpus_sub;
-- requires: 15
CREATE TABLE corpus.nulls_not_distinct (a int UNIQUE NULLS NOT DISTINCT);
-- requires: 15
CREATE VIEW corpus.invoker WITH (security_invoker) AS SELECT 1 AS one;
-- requires: 16
SELECT SYSTEM_USER;

/* ---------------------------------------------------------------------------------------------
   COPY (to the client only: see the top of the file)
   --------------------------------------------------------------------------------------------- */

COPY corpus.counters TO STDOUT;
COPY corpus.counters (name, value) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER ';', QUOTE '"', FORCE_QUOTE *);
COPY (SELECT email, display_name FROM corpus.users ORDER BY email) TO STDOUT WITH (FORMAT text, NULL '\N');
COPY (SELECT * FROM corpus.points) TO STDOUT (FORMAT binary);

/* ---------------------------------------------------------------------------------------------
   Statistics, comments, settings, session commands, maintenance
   --------------------------------------------------------------------------------------------- */

CREATE STATISTICS corpus.users_mood_locale (ndistinct, dependencies) ON mood, locale FROM corpus.users;
ALTER STATISTICS corpus.users_mood_locale SET STATISTICS 200;
COMMENT ON TABLE corpus.users IS 'Accounts; one row per person';
COMMENT ON COLUMN corpus.users.email IS $$Compared without case ("citext")$$;
COMMENT ON INDEX corpus.users_tags_idx IS NULL;
COMMENT ON CONSTRAINT users_email_key ON corpus.users IS 'One account per address';
COMMENT ON TRIGGER users_touch ON corpus.users IS 'Keeps updated_at current';
COMMENT ON POLICY users_self ON corpus.users IS 'Users see themselves';
COMMENT ON TYPE corpus.mood IS 'How a user feels';
COMMENT ON SEQUENCE corpus.invoice_number IS 'Invoice numbers';
COMMENT ON VIEW corpus.active_users IS 'Everyone not sad';
COMMENT ON MATERIALIZED VIEW corpus.mood_totals IS 'Refreshed nightly';
COMMENT ON EXTENSION hstore IS 'key/value pairs';
COMMENT ON ROLE corpus_app IS 'The application';
SET search_path TO corpus, public;
SET LOCAL statement_timeout = '10s';
SET TIME ZONE 'UTC';
SET datestyle = 'ISO, DMY';
SET SESSION lock_timeout TO DEFAULT;
RESET datestyle;
RESET ALL;
SHOW search_path;
SHOW ALL;
SELECT set_config('search_path', 'public', false);
PREPARE find_user (text) AS SELECT * FROM corpus.users WHERE email = $1::corpus.email;
EXECUTE find_user('ada@example.com');
DEALLOCATE find_user;
DEALLOCATE ALL;
LISTEN corpus_channel;
NOTIFY corpus_channel, 'payload; with a semicolon';
SELECT pg_notify('corpus_channel', 'another');
UNLISTEN *;
DISCARD PLANS;
DISCARD TEMP;
ANALYZE corpus.users;
ANALYZE VERBOSE corpus.users (email, mood);
VACUUM corpus.counters;
VACUUM (VERBOSE, ANALYZE, INDEX_CLEANUP ON) corpus.users;
VACUUM FULL corpus.rule_log;
CHECKPOINT;
REINDEX SCHEMA corpus_audit;

/* ---------------------------------------------------------------------------------------------
   Foreign data, publications
   --------------------------------------------------------------------------------------------- */

CREATE FOREIGN DATA WRAPPER corpus_fdw;
CREATE SERVER corpus_server FOREIGN DATA WRAPPER corpus_fdw OPTIONS (host 'db.example.com', port '5432');
CREATE USER MAPPING FOR CURRENT_USER SERVER corpus_server OPTIONS (user 'remote', password 'not-a-real-secret');
CREATE FOREIGN TABLE corpus.remote_users (id uuid, email text) SERVER corpus_server OPTIONS (schema_name 'public', table_name 'users');
ALTER FOREIGN TABLE corpus.remote_users ADD COLUMN name text;
DROP FOREIGN TABLE corpus.remote_users;
DROP USER MAPPING FOR CURRENT_USER SERVER corpus_server;
DROP SERVER corpus_server;
DROP FOREIGN DATA WRAPPER corpus_fdw;
CREATE PUBLICATION corpus_pub FOR TABLE corpus.users, corpus.sessions WITH (publish = 'insert, update');
ALTER PUBLICATION corpus_pub ADD TABLE corpus.counters;
-- requires: 15
ALTER PUBLICATION corpus_pub SET TABLE corpus.users (id, email) WHERE (balance >= 0);
DROP PUBLICATION corpus_pub;

/* ---------------------------------------------------------------------------------------------
   Taking it all down again: DROP, TRUNCATE
   --------------------------------------------------------------------------------------------- */

TRUNCATE corpus.rule_log;
TRUNCATE TABLE corpus.counters, corpus.cache RESTART IDENTITY CASCADE;
DROP TRIGGER IF EXISTS signups_insert ON corpus.signups;
DROP VIEW corpus.signups;
DROP MATERIALIZED VIEW IF EXISTS corpus.mood_totals;
DROP VIEW IF EXISTS corpus.rich_users, corpus.countdown CASCADE;
DROP RULE measurements_log ON corpus.measurements;
DROP POLICY users_self ON corpus.users;
DROP STATISTICS corpus.users_mood_locale;
DROP CAST (corpus.mood AS int);
DROP OPERATOR corpus.=== (text, text);
DROP AGGREGATE corpus.product(numeric);
DROP PROCEDURE corpus.nothing();
DROP FUNCTION IF EXISTS corpus.plus(int, int), corpus.greeting(text);
DROP TABLE corpus.typed_table;
DROP TABLE IF EXISTS corpus.events CASCADE;
DROP TABLE corpus.events_2024, corpus.events_2026;
DROP SEQUENCE corpus.invoice_number;
DROP TEXT SEARCH CONFIGURATION corpus.english_simple;
DROP COLLATION corpus.posix_c;
DROP DOMAIN corpus.positive_int;
REVOKE ALL ON ALL TABLES IN SCHEMA corpus FROM corpus_reader;
REVOKE USAGE ON SCHEMA corpus FROM corpus_app, corpus_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA corpus REVOKE SELECT ON TABLES FROM corpus_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
REASSIGN OWNED BY corpus_app TO postgres;
DROP OWNED BY corpus_app, corpus_admin, corpus_reader;
DROP ROLE corpus_app, corpus_admin;
DROP ROLE IF EXISTS corpus_reader;
DROP EXTENSION IF EXISTS hstore CASCADE;
DROP SCHEMA corpus_audit;
DROP SCHEMA corpus CASCADE
