-- Lua workload of the real-programs benchmark (bench/programs.ts).
-- lua bench.lua SCALE: a mix of what Lua programs do (calls, tables,
-- strings, sorting, floating point); prints one checksum line per part so
-- engines and runs can be compared byte for byte. No math.random (seeded
-- from the clock in Lua 5.4): a fixed linear congruential generator.
local scale = tonumber(arg[1]) or 1

local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n
end

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local function sieve(n)
  local composite, count = {}, 0
  for i = 2, n do
    if not composite[i] then
      count = count + 1
      for j = i * i, n, i do composite[j] = true end
    end
  end
  return count
end

local words = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet" }
local function text(lines)
  local out = {}
  for i = 1, lines do
    local line = {}
    for j = 1, 12 do line[j] = words[rand(#words) + 1] end
    out[i] = table.concat(line, " ")
  end
  return table.concat(out, "\n")
end

local function wordfreq(s)
  local freq = {}
  for w in s:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
  local keys = {}
  for k in pairs(freq) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. freq[k] end
  return table.concat(parts, ",")
end

local function sortcheck(n)
  local t = {}
  for i = 1, n do t[i] = { key = rand(1000000), id = i } end
  table.sort(t, function(a, b) if a.key ~= b.key then return a.key < b.key end return a.id < b.id end)
  local h = 0
  for i = 1, n, 97 do h = (h * 31 + t[i].key + t[i].id) % 1000000007 end
  return h
end

local function nbody(steps)
  local bodies = {}
  for i = 1, 5 do
    bodies[i] = { x = i, y = i * 0.5, z = -i * 0.25, vx = 0.01 * i, vy = -0.02 * i, vz = 0.005, m = 1 / i }
  end
  local dt = 0.01
  for _ = 1, steps do
    for i = 1, #bodies do
      local a = bodies[i]
      for j = i + 1, #bodies do
        local b = bodies[j]
        local dx, dy, dz = a.x - b.x, a.y - b.y, a.z - b.z
        local d2 = dx * dx + dy * dy + dz * dz + 0.01
        local mag = dt / (d2 * math.sqrt(d2))
        a.vx, a.vy, a.vz = a.vx - dx * b.m * mag, a.vy - dy * b.m * mag, a.vz - dz * b.m * mag
        b.vx, b.vy, b.vz = b.vx + dx * a.m * mag, b.vy + dy * a.m * mag, b.vz + dz * a.m * mag
      end
    end
    for _, b in ipairs(bodies) do b.x, b.y, b.z = b.x + dt * b.vx, b.y + dt * b.vy, b.z + dt * b.vz end
  end
  local e = 0
  for _, b in ipairs(bodies) do e = e + 0.5 * b.m * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz) end
  return e
end

for round = 1, scale do
  print(string.format("round %d fib %d", round, fib(24)))
  print(string.format("round %d primes %d", round, sieve(300000)))
  print(string.format("round %d words %s", round, wordfreq(text(3000))))
  print(string.format("round %d sort %d", round, sortcheck(20000)))
  print(string.format("round %d nbody %.12f", round, nbody(8000)))
end
