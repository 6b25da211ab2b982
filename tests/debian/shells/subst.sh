x=$(echo hello | tr a-z A-Z)
echo "upper=$x"
n=$(printf '%s\n' pear apple fig apple | sort | uniq | wc -l)
echo "unique=$n"
echo "nested=$(echo "$(echo inner | sed 's/i/I/')")"
y=`echo backquote`
echo "$y"
echo "status=$(false; echo $?)"
printf 'one\ntwo\nthree\n' | grep -v two | tr '\n' ' '
echo
set -- a "b c" d
echo "argc=$# first=$1 second=$2"
for w in "$@"; do printf '<%s>' "$w"; done; echo
