# Two sqlite processes write one WAL database at the same time: their wal-index is the
# MAP_SHARED mapping of db-shm, so every commit of one is seen by the other and none is lost.
sqlite3 db 'pragma journal_mode=wal; create table t(who text, i integer)'
writer() {
  for i in $(seq 1 150); do echo "insert into t values ('$1', $i);"; done |
    sqlite3 -cmd '.timeout 20000' db
}
writer a & a=$!
writer b & b=$!
wait $a; echo "a=$?"
wait $b; echo "b=$?"
sqlite3 db "select who, count(*), sum(i) from t group by who; select count(*) from t;
  pragma integrity_check"
