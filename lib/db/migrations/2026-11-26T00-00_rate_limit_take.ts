import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations use Kysely<any>: they never see app types. */

// The sliding limiter's check-and-take (lib/ratelimit.ts PostgresSlidingLimiter) as one function, so
// a take is one round trip instead of five (begin, lock, sum, upsert, commit). Each statement of a
// plpgsql function reads a fresh snapshot under READ COMMITTED, so the sum taken after the advisory
// lock sees every take committed before it, as the transaction it replaces did. The lock is held to
// the end of the caller's (implicit) transaction.
//
// taken: units granted (0 when the window has no room for p_cost); room: what the window had left.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION rate_limit_take(
      p_key text, p_slice timestamptz, p_since timestamptz, p_cost integer, p_want integer, p_limit integer,
      OUT taken integer, OUT room integer
    ) LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('rate_limit'), hashtext(p_key));
      SELECT p_limit - coalesce(sum(count), 0) INTO room
        FROM rate_limit_windows WHERE key = p_key AND window_start > p_since;
      IF room < p_cost THEN
        taken := 0;
        RETURN;
      END IF;
      taken := least(p_want, room);
      INSERT INTO rate_limit_windows (key, window_start, count) VALUES (p_key, p_slice, taken)
        ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_windows.count + taken;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS rate_limit_take(text, timestamptz, timestamptz, integer, integer, integer)`.execute(
    db,
  );
}
