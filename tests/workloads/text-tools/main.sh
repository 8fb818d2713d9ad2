set -euo pipefail
mkdir -p report
echo "== sort by salary"
tail -n +2 employees.csv | sort -t, -k4,4nr | cut -d, -f2,4 | tee report/by-salary.txt
echo "== per department (awk)"
tail -n +2 employees.csv | awk -F, '{ n[$3]++; s[$3] += $4 } END { for (d in n) printf "%s %d %.1f\n", d, n[d], s[d] / n[d] }' | sort > report/per-dept.txt
cat report/per-dept.txt
echo "== join with the department names"
join report/per-dept.txt <(sort depts.txt) | awk '{ print $4, $2, $3 }'
echo "== comm: departments with nobody"
comm -13 <(cut -d' ' -f1 report/per-dept.txt) <(cut -d' ' -f1 depts.txt | sort)
echo "== paste, tr, uniq, wc"
paste -d: <(tail -n +2 employees.csv | cut -d, -f2) <(tail -n +2 employees.csv | cut -d, -f3) | tr a-z A-Z | sort | head -3
tail -n +2 employees.csv | cut -d, -f3 | sort | uniq -c | sort -rn
wc -lwc employees.csv depts.txt
echo "== sed and numbering"
sed -n '2,4{s/,/ | /g;p}' employees.csv | nl
printf '%s\n' b a c b a | sort -u | tr '\n' ' '; echo
seq 1 10 | paste - - - | column -t
md5sum report/* | awk '{ print $2, length($1) }'
