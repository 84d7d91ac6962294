// Lua run inside Redis, so that checking a window and taking a slot is one atomic step for every replica, and
// time is Redis' clock (replicas' clocks may disagree). Same arithmetic as windows.ts.

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Takes up to n slots at once (the calls this replica started in one turn of its event loop).
 * KEYS: rpm sorted set (start times), tpm hash (bucket start -> tokens).
 * ARGV: rpm limit (0: none), tpm limit (0: none), window ms, bucket ms, a unique member prefix, n.
 * Returns {slots taken} when all n were, else {slots taken, ms until there is room, 'rpm' | 'tpm'}.
 */
export const ACQUIRE = `${NOW}
local rpm, tpm, window, width = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = tonumber(ARGV[6])
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
  if used >= tpm then return {0, math.max(1, oldest + width + window - now), 'tpm'} end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local take = math.min(math.max(rpm - redis.call('ZCARD', KEYS[1]), 0), n)
  for i = 1, take do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
  if take > 0 then redis.call('PEXPIRE', KEYS[1], window) end
  if take < n then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {take, math.max(1, tonumber(first[2]) + window - now), 'rpm'}
  end
  return {take}
end
return {n}`;

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
