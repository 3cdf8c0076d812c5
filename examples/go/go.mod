module unetseg.example/go

go 1.19
