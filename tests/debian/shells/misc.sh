cat <<END
home=$HOME
cmd=$(echo inside)
sum=$((6 * 7))
END
cat <<'END'
literal $HOME $(not run)
END
printf 'a 1\nb 2\nc 3\n' | while read k v; do echo "$v:$k"; done
i=0
while [ $i -lt 6 ]; do
  i=$((i + 1))
  case $i in 2) continue;; 5) break;; esac
  echo "i=$i"
done
for f in *.sh; do echo "file $f"; done
( x=inner; echo "sub $x" ); echo "outer ${x:-unset}"
f() { echo "func $1 $#"; return 7; }
f one two; echo "ret=$?"
v=abc.tar.gz; echo "${v%.gz} ${v%%.*} ${v#*.} ${#v}"
read line < misc.sh; echo "first: $line"
echo err >&2
{ echo grouped; echo out; } | wc -l
nosuchcommand 2>/dev/null; echo "missing=$?"
exit 3
