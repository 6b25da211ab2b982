module kvrm.test/gotests

go 1.19
