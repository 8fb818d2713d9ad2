t=1700000000
for zone in UTC Europe/Paris America/New_York Asia/Kolkata Australia/Lord_Howe; do
  printf '%-20s %s\n' "$zone" "$(TZ=$zone date -d @$t '+%F %T %Z %z')"
done
TZ=Europe/Berlin date -d '2024-03-31 01:59:59 +0100 + 1 second' '+%F %T %Z'
date -u -d '2024-02-28 + 1 day' +%F
date -u -d @0 '+%A %j %U'
TZ=Nowhere/Invalid date -d @$t '+%H:%M %Z'
python3 -c '
from datetime import datetime
from zoneinfo import ZoneInfo
d = datetime.fromtimestamp(1700000000, ZoneInfo("Pacific/Chatham"))
print(d.isoformat(), d.tzname())'
LC_TIME=C.UTF-8 date -u -d @$t '+%c'
touch -d "@$t" stamped && TZ=Asia/Tokyo ls -l --time-style='+%F %R %Z' stamped | awk '{ print $6, $7, $8 }'
