pragma journal_mode;
create table dept(id integer primary key, name text not null unique);
create table emp(id integer primary key, name text, dept integer references dept(id),
                 salary real, hired text);
create index emp_dept on emp(dept);
begin;
insert into dept(name) values ('eng'), ('ops'), ('sales');
with recursive n(i) as (select 1 union all select i + 1 from n where i < 500)
insert into emp(name, dept, salary, hired)
  select 'e' || i, 1 + i % 3, 1000 + (i * 37 % 101) * 12.5 + i / 7.0, date('2020-01-01', '+' || i || ' days')
  from n;
commit;
begin;
update emp set salary = salary * 1.1 where dept = 2;
delete from emp where id % 50 = 0;
rollback;
select count(*), printf('%.4f', sum(salary)) from emp;
select d.name, count(*), printf('%.2f %.3e %g', avg(e.salary), max(e.salary), min(e.salary))
  from emp e join dept d on d.id = e.dept group by d.name order by d.name;
select name, hired, salary from emp where dept = 3 and salary > 2200 order by salary desc, id limit 5;
explain query plan select * from emp where dept = 2;
select printf('%5.1f|%-8s|%08.3f|%e', 3.14159, 'x', -2.5, 1e-7), 1.0 / 3, 2.0 * 0.1, 1e300 * 10, round(2.675, 2);
select typeof(1), typeof(1.5), typeof('a'), typeof(x'00'), typeof(null), 9223372036854775807 + 1;
select group_concat(name, ',') from (select name from emp where id < 6 order by id);
select sqrt(2), pi(), exp(1), ln(10), pow(2, 0.5);
pragma integrity_check;
insert into dept(name) values ('eng');
select 'after error';
