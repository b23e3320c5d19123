-- Time-ordered UUIDs (RFC 9562 version 7) for the rows written on every event: events, messages,
-- webhook deliveries and attempts (issue 21). Random (v4) keys put each insert on a random leaf of
-- their indexes; with a million rows those leaves no longer fit in shared_buffers and every insert
-- paid for a page read and a dirtied page. A v7 key starts with the millisecond, so inserts append at
-- the right edge. Postgres 15 and PGlite have no built-in uuidv7() (Postgres 18 does): the first 48
-- bits of a random v4 UUID are overwritten with the Unix time in ms and the version nibble set to 7
-- (0100 → 0111); the variant bits of the v4 stay. 74 random bits remain.
CREATE OR REPLACE FUNCTION uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;
