import { createHash } from 'node:crypto';

/**
 * The fleet budget's state in Redis and the one Lua script that changes it. Every
 * operation is one `EVALSHA` (atomic, one round trip); time is the Redis server's
 * (`TIME`), never a client's.
 *
 * Keys (one hash tag, so a cluster keeps them on one slot):
 * - `KEYS[1]` leases: sorted set, process id → lease expiry (server ms);
 * - `KEYS[2]` state: hash, `used` (permits held by the fleet), `h:<pid>` (held by a
 *   process), `f:<pid>` (its lease's fence), `q:<pid>` (its tickets in the queue);
 * - `KEYS[3]` queue: sorted set, ticket (`<pid>:<n>`) → its number (first come, first served);
 * - `KEYS[4]` seq: the counter that numbers fences and tickets.
 *
 * `ARGV`: op, pid, fence, leaseMs, max, channel, then the op's own. Every op first drops
 * processes whose lease expired (their permits return, their tickets leave the queue)
 * and ends by granting free permits to the queue's head; a grant is published on
 * `<channel>:<pid>` (`g <ticket>`), a new ticket on `<channel>` (`w <pid> <level>`), a
 * queue that emptied on `<channel>` (`e`). `level` is the max-min fair share of the
 * processes that hold or want permits, at least 1 (-1: everyone's demand fits).
 *
 * Replies: `[status, ...]`; status 0 means the caller's lease is gone (or its fence is
 * stale): it must renew before anything else. The fleet figures `[used, queued,
 * processes, level]` follow where noted.
 */
export const BUDGET_SCRIPT = `
local leases, state, queue, seqKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op, pid, fence = ARGV[1], ARGV[2], tonumber(ARGV[3])
local leaseMs, max, chan = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local qStart = redis.call('ZCARD', queue)

local function num(v) return tonumber(v) or 0 end
local function used() return num(redis.call('HGET', state, 'used')) end
local function pidOf(ticket) return string.match(ticket, '^(.*):[^:]*$') end

local function drop(p)
  local h = num(redis.call('HGET', state, 'h:' .. p))
  if h > 0 then redis.call('HINCRBY', state, 'used', -h) end
  redis.call('HDEL', state, 'h:' .. p, 'f:' .. p, 'q:' .. p)
  redis.call('ZREM', leases, p)
  if num(redis.call('ZCARD', queue)) > 0 then
    for _, tk in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
      if pidOf(tk) == p then redis.call('ZREM', queue, tk) end
    end
  end
end

for _, p in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 64)) do drop(p) end

local function valid()
  return redis.call('ZSCORE', leases, pid) and num(redis.call('HGET', state, 'f:' .. pid)) == fence
end

local function level()
  local d = {}
  for _, p in ipairs(redis.call('ZRANGE', leases, 0, -1)) do
    local x = num(redis.call('HGET', state, 'h:' .. p)) + num(redis.call('HGET', state, 'q:' .. p))
    if x > 0 then d[#d + 1] = x end
  end
  table.sort(d)
  local left, n = max, #d
  for i, x in ipairs(d) do
    local share = math.floor(left / (n - i + 1))
    if x > share then return math.max(share, 1) end
    left = left - x
  end
  return -1
end

local function serve()
  local u = used()
  while u < max do
    local head = redis.call('ZRANGE', queue, 0, 0)
    if #head == 0 then break end
    local tk = head[1]
    local p = pidOf(tk)
    redis.call('ZREM', queue, tk)
    if redis.call('ZSCORE', leases, p) then
      redis.call('HINCRBY', state, 'h:' .. p, 1)
      if redis.call('HINCRBY', state, 'q:' .. p, -1) <= 0 then redis.call('HDEL', state, 'q:' .. p) end
      u = u + 1
      redis.call('HSET', state, 'used', u)
      redis.call('PUBLISH', chan .. ':' .. p, 'g ' .. tk)
    end
  end
end

local function fleet(out)
  serve()
  local q = redis.call('ZCARD', queue)
  if qStart > 0 and q == 0 then redis.call('PUBLISH', chan, 'e') end
  out[#out + 1] = used()
  out[#out + 1] = q
  out[#out + 1] = redis.call('ZCARD', leases)
  out[#out + 1] = q > 0 and level() or -1
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, leaseMs * 4) end
  return out
end

local function touch() redis.call('ZADD', leases, now + leaseMs, pid) end

if op == 'acquire' then
  if not valid() then return fleet({0}) end
  touch()
  serve()
  if redis.call('ZCARD', queue) == 0 and used() < max then
    redis.call('HINCRBY', state, 'h:' .. pid, 1)
    redis.call('HINCRBY', state, 'used', 1)
    return fleet({1})
  end
  redis.call('ZADD', queue, redis.call('INCR', seqKey), ARGV[7])
  redis.call('HINCRBY', state, 'q:' .. pid, 1)
  redis.call('PUBLISH', chan, 'w ' .. pid .. ' ' .. level())
  return fleet({2})
elseif op == 'release' then
  if not valid() then return fleet({0}) end
  touch()
  local h = num(redis.call('HGET', state, 'h:' .. pid))
  local k = math.min(h, tonumber(ARGV[7]))
  if k > 0 then
    redis.call('HINCRBY', state, 'used', -k)
    if h - k > 0 then redis.call('HSET', state, 'h:' .. pid, h - k) else redis.call('HDEL', state, 'h:' .. pid) end
  end
  return fleet({1})
elseif op == 'cancel' then
  if not valid() then return fleet({0}) end
  local flags = {}
  for i = 7, #ARGV do
    if redis.call('ZREM', queue, ARGV[i]) == 1 then
      flags[#flags + 1] = 1
      if redis.call('HINCRBY', state, 'q:' .. pid, -1) <= 0 then redis.call('HDEL', state, 'q:' .. pid) end
    else
      flags[#flags + 1] = 0
    end
  end
  local out = fleet({1})
  for _, f in ipairs(flags) do out[#out + 1] = f end
  return out
elseif op == 'renew' then
  local status = 1
  if not valid() then
    drop(pid)
    if num(redis.call('GET', seqKey)) < tonumber(ARGV[8]) then redis.call('SET', seqKey, ARGV[8]) end
    fence = redis.call('INCR', seqKey)
    redis.call('HSET', state, 'f:' .. pid, fence)
    status = 2
  end
  touch()
  local sh = num(redis.call('HGET', state, 'h:' .. pid))
  local nh = math.max(sh, tonumber(ARGV[7]))
  if nh > sh then
    redis.call('HSET', state, 'h:' .. pid, nh)
    redis.call('HINCRBY', state, 'used', nh - sh)
  end
  local excess = 0
  if nh > sh and used() > max then excess = math.min(nh - sh, used() - max) end
  local flags = {}
  for i = 9, #ARGV do flags[#flags + 1] = redis.call('ZSCORE', queue, ARGV[i]) and 1 or 0 end
  local out = fleet({status, fence, sh, nh, excess})
  for _, f in ipairs(flags) do out[#out + 1] = f end
  return out
elseif op == 'leave' then
  if valid() then drop(pid) end
  return fleet({1})
end
return redis.error_reply('lido budget: unknown op ' .. tostring(op))
`;

/** The script's SHA1, as `EVALSHA` names it. */
export const BUDGET_SCRIPT_SHA = createHash('sha1').update(BUDGET_SCRIPT).digest('hex');

/** The keys of budget `name`: one hash tag, so that they share a cluster slot. */
export function budgetKeys(name: string): { keys: [string, string, string, string]; channel: string } {
  const base = `lido:budget:{${name}}`;
  return { keys: [`${base}:leases`, `${base}:state`, `${base}:queue`, `${base}:seq`], channel: base };
}
