#!/usr/bin/env bash
# Orders export at scale: the Release service on the embedded default (seeded with a million orders), one admin key,
# each format downloaded in full; rows/s from curl's time, the service's memory sampled every 50 ms during each download.
set -euo pipefail
cd "${1:-.}"
B=http://localhost:5080
dotnet build -c Release src/Whistle.Api -v q -nologo >/dev/null
KEY=$(dotnet run -c Release --no-build --project src/Whistle.Api -- credentials create --role admin --name 'export bench' | tail -n 1)
dotnet run -c Release --no-build --project src/Whistle.Api > /tmp/exportbench-service.log 2>&1 &
until curl -fsS $B/health/ready >/dev/null 2>&1; do sleep 1; done
PID=$(pgrep -f 'bin/Release/net10.0/Whistle.Api' | head -n 1)
sleep 20   # the statistics' warm-up reads every order's facts at start; let it finish
for format in csv xlsx; do
  for run in 1 2 3; do
    base=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
    peak=$base
    ( while kill -0 $PID 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$PID/status; sleep 0.05; done ) > /tmp/rss.$format.$run &
    SAMPLER=$!
    out=$(curl -fsS -o /tmp/export.$format -w '%{time_total} %{size_download}' "$B/api/v1/orders/export?format=$format" -H "X-Api-Key: $KEY")
    kill $SAMPLER
    peak=$(sort -n /tmp/rss.$format.$run | tail -n 1)
    rows=$([ $format = csv ] && echo $(( $(wc -l < /tmp/export.csv) - 1 )) || echo 1000000)
    echo "$format run $run: ${out% *} s, $(( ${out#* } / 1048576 )) MiB, $rows rows, rss before $(( base / 1024 )) MiB, peak $(( peak / 1024 )) MiB"
  done
done
kill %1 2>/dev/null || true
kill $PID 2>/dev/null || true
wait 2>/dev/null || true
