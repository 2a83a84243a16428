-- wrk script: POST generate over every (form type, month) of coverage in
-- turn, so calls spread over many months as a backfill client's would.
local combos = {}
local now = os.date("!*t")
for year = 2003, now.year do
  for month = 1, 12 do
    if year < now.year or month <= now.month then
      for _, form in ipairs({3, 4, 5}) do
        combos[#combos + 1] = string.format("/api/insiders/bulk/form-%d/generate/%d/%d", form, year, month)
      end
    end
  end
end
local i = 0
request = function()
  i = i + 1
  local path = combos[(i % #combos) + 1] .. "?api_Token=" .. os.getenv("BENCH_KEY")
  return wrk.format("POST", path)
end
