// Lua run inside Redis, so that checking a window and taking a slot is one atomic step for every replica, and
// time is Redis' clock (replicas' clocks may disagree). Same arithmetic as windows.ts.

/** Leases are granted only while a window has at least this many free slots besides the ones asked for. */
export const LEASE_FLOOR = 64;
/** The rpm set's member counting the slots it holds (see ACQUIRE). */
const USED = '#used';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Takes up to n slots at once (the calls this replica started in one turn of its event loop), and up to `extra`
 * more leased ahead of need while the window has plenty of room: those count from now until `lease` ms from now
 * plus a window (scored at the lease's end), so a leased slot used at any moment of its lease is in the window
 * for as long as a slot taken then would be, and no replica can take more than rpm slots in any window.
 * KEYS: rpm sorted set, tpm hash (bucket start -> tokens).
 * ARGV: rpm limit (0: none), tpm limit (0: none), window ms, bucket ms, a unique member prefix, n, extra, lease ms.
 * Returns {slots taken, extra slots leased} when all n were taken, else {taken, 0, ms until there may be room,
 * 'rpm' | 'tpm'}: past a window's oldest slot, or just past a running lease's end (it gives unused slots back).
 *
 * The rpm set holds one member per script call, not per slot (Redis's work and memory grow with calls to it,
 * not with requests): "<prefix>:<slots>" scored at its start, "<prefix>:lease:<slots>" at its lease's end, and
 * USED, whose score is minus the slots the others hold (scores below 1 are never a time).
 */
export const ACQUIRE = `${NOW}
local rpm, tpm, window, width = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n, extra, lease = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if tpm > 0 then
  local used, oldest = 0, nil
  local buckets = redis.call('HGETALL', KEYS[2])
  for i = 1, #buckets, 2 do
    local start = tonumber(buckets[i])
    if start + width <= now - window then
      redis.call('HDEL', KEYS[2], buckets[i])
    else
      used = used + tonumber(buckets[i + 1])
      if oldest == nil or start < oldest then oldest = start end
    end
  end
  if used >= tpm then return {0, 0, math.max(1, oldest + width + window - now), 'tpm'} end
  if used * 2 >= tpm then extra = 0 end
end
if rpm > 0 then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '(0', now - window)
  if #expired > 0 then
    local gone = 0
    for _, member in ipairs(expired) do gone = gone + tonumber(string.match(member, '(%d+)$')) end
    redis.call('ZINCRBY', KEYS[1], gone, '${USED}')
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '(0', now - window)
  end
  local room = math.max(rpm + (tonumber(redis.call('ZSCORE', KEYS[1], '${USED}')) or 0), 0)
  local take = math.min(room, n)
  -- Near the limit no slot is leased: one replica's unused lease must never refuse another's calls.
  local spare = room - take
  if spare < ${LEASE_FLOOR} then extra = 0 else extra = math.min(extra, math.floor(spare / 16)) end
  if take > 0 then redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. take) end
  if extra > 0 then redis.call('ZADD', KEYS[1], now + lease, ARGV[5] .. ':lease:' .. extra) end
  if take + extra > 0 then
    redis.call('ZINCRBY', KEYS[1], -(take + extra), '${USED}')
    redis.call('PEXPIRE', KEYS[1], window + lease)
  end
  if take < n then
    local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(0', '+inf', 'LIMIT', 0, 1, 'WITHSCORES')
    local wait = first[2] and math.max(1, tonumber(first[2]) + window - now) or window
    -- A lease still running gives its unused slots back as it ends: ask again then, not a window later.
    local leased = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'LIMIT', 0, 1, 'WITHSCORES')
    if #leased > 0 then wait = math.min(wait, tonumber(leased[2]) - now + lease) end
    return {take, 0, wait, 'rpm'}
  end
  return {take, extra}
end
return {n, extra}`;

/**
 * A lease's unused slots back into the window: its member is replaced by one for the slots used (none: removed).
 * KEYS: rpm sorted set. ARGV: the lease's member, the member for the used slots ('' for none), unused slots.
 */
export const GIVE_BACK = `local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], score, ARGV[2]) end
redis.call('ZINCRBY', KEYS[1], tonumber(ARGV[3]), '${USED}')
return 1`;

/** KEYS: tpm hash. ARGV: tokens, window ms, bucket ms. Adds the tokens to the current bucket. */
export const ADD_TOKENS = `${NOW}
local window, width = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], string.format('%d', math.floor(now / width) * width), ARGV[1])
redis.call('PEXPIRE', KEYS[1], window + width)
return 1`;

/**
 * KEYS: the cooldowns hash (deployment id -> end, Redis time). ARGV: deployment id, cooldown ms. One hash, so a
 * replica reads every cooldown at once without knowing the ids; the hash lives as long as its longest cooldown.
 */
export const COOL_DOWN = `${NOW}
local ms = tonumber(ARGV[2])
local ends = now + ms
if (tonumber(redis.call('HGET', KEYS[1], ARGV[1])) or 0) < ends then redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', ends)) end
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
return 1`;

/**
 * The periodic exchange of one replica. KEYS: the in-flight hash, the cooldowns hash.
 * ARGV: replica id (16 hex digits), ms after which a replica's counts are stale, then pairs of deployment id and
 * this replica's in-flight count. In-flight fields are "<replica> <deployment id>" -> "<count> <time>"; a replica
 * that died stops refreshing its fields and they are dropped once stale.
 * Returns {{deployment id, cooldown ms left, ...}, {deployment id, in flight on other replicas, ...}}.
 */
export const SYNC = `${NOW}
local replica, stale = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local field = replica .. ' ' .. ARGV[i]
  local count = tonumber(ARGV[i + 1])
  if count > 0 then
    redis.call('HSET', KEYS[1], field, string.format('%d %d', count, now))
  else
    redis.call('HDEL', KEYS[1], field)
  end
end
redis.call('PEXPIRE', KEYS[1], stale)
local others, sums = {}, {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local field = fields[i]
  local count, at = string.match(fields[i + 1], '^(%d+) (%d+)$')
  if count == nil or now - tonumber(at) > stale then
    redis.call('HDEL', KEYS[1], field)
  elseif string.sub(field, 1, #replica) ~= replica then
    local id = string.sub(field, #replica + 2)
    if sums[id] == nil then table.insert(others, id); sums[id] = 0 end
    sums[id] = sums[id] + tonumber(count)
  end
end
local counts = {}
for _, id in ipairs(others) do
  table.insert(counts, id)
  table.insert(counts, sums[id])
end
local cooling = {}
local ends = redis.call('HGETALL', KEYS[2])
for i = 1, #ends, 2 do
  local left = tonumber(ends[i + 1]) - now
  if left > 0 then
    table.insert(cooling, ends[i])
    table.insert(cooling, left)
  else
    redis.call('HDEL', KEYS[2], ends[i])
  end
end
return {cooling, counts}`;
