# busybox sh: functions, case, parameter expansion, arithmetic, here-documents, subshells.
greet() {
    local who="$1"
    echo "hello, ${who:-nobody} ($#)"
}
greet "$1"
greet
for f in alpha.txt beta.tar.gz gamma; do
    case "$f" in
        *.txt) echo "$f: text, base ${f%.txt}" ;;
        *.tar.*) echo "$f: tarball, ext ${f##*.}, stem ${f%%.*}" ;;
        *) echo "$f: unknown, length ${#f}" ;;
    esac
done
n=10; fact=1
while [ "$n" -gt 1 ]; do fact=$((fact * n)); n=$((n - 1)); done
echo "10! = $fact, hex $(printf '%x' $fact), $((1 << 20)) $((7 % 3)) $((-7 / 2))"
x=$( (echo sub; echo shell) | wc -l)
echo "subshell lines: $x"
cat <<END | tr 'a-z' 'A-Z'
here document line one
value of n is $n
END
set -- one two three
echo "args: $# first=$1 all=$*"
shift 2
echo "after shift: $1"
if [ -f script.sh ] && ! [ -d script.sh ]; then echo "script.sh is a file"; fi
i=0
until [ $i -ge 5 ]; do i=$((i + 1)); [ $i -eq 3 ] && continue; printf '%d ' $i; done
echo
exit 3
