# Pipelines, redirections and reading from pipes.
seq 1 200 | grep 7 | sort -rn | head -n 4
printf 'x=1\ny=2\nz=3\n' > kv.txt
while IFS== read -r key value; do
  echo "$key -> $value"
done < kv.txt
total=0
seq 1 10 > ten.txt
while read -r n; do total=$((total + n)); done < ten.txt
echo "total=$total"
count=$(cat ten.txt | wc -l)
echo "lines=$count"
{ echo to-stderr >&2; echo to-stdout; } 2>err.txt | tr a-z A-Z
cat err.txt
exec 3> fd3.txt
echo "via fd 3" >&3
exec 3>&-
cat fd3.txt
false | true; echo "pipe status=$?"
true | false; echo "pipe status=$?"
yes | head -n 3
if grep -q 5 ten.txt; then echo found; else echo missing; fi
cat <<EOF2 | sed 's/^/> /'
line one
line two $((1 + 1))
EOF2
