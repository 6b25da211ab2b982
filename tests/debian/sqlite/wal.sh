# A WAL database used by one process after another. One process gets its 40 transactions
# through a fifo (wal_concurrent.sh: two processes at once).
sqlite3 db 'pragma journal_mode=wal; create table acct(id integer primary key, bal integer);
  create table log(i integer); create index log_i on log(i);
  insert into acct(bal) values (100), (100), (100), (100)'
for i in $(seq 1 40); do
  echo "begin immediate; update acct set bal = bal - $i where id = 1 + $i % 4;
    update acct set bal = bal + $i where id = 1 + ($i + 1) % 4; insert into log values ($i); commit;"
done > txns.sql
mkfifo cmds
sqlite3 db < cmds > session.out &
session=$!
exec 3> cmds
echo "select 'before', sum(bal), (select count(*) from log) from acct;" >&3
cat txns.sql >&3
echo "begin; select 'in transaction', sum(bal), (select count(*) from log) from acct;" >&3
echo "insert into log values (-1); rollback; select 'after rollback', count(*) from log;" >&3
exec 3>&-
wait $session; echo "session=$?"
cat session.out
sqlite3 db 'pragma wal_autocheckpoint=0; insert into log select i + 100 from log where i > 0;
  select count(*), sum(i) from log'
ls db*
sqlite3 db 'select count(*), sum(i) from log where i > 100; select * from acct;
  select a.id, count(*) from acct a join log l on l.i % 4 = a.id - 1 group by a.id;
  pragma integrity_check; pragma journal_mode; pragma wal_checkpoint(truncate);
  pragma journal_mode=delete'
ls db*
