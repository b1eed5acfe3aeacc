// This stub makes infra/ its own (empty) Go module, so `go vet ./...` and
// `go list ./...` from the repository root skip it: aws-cdk-lib ships files
// named *.go inside node_modules. There is no Go code here.
module github.com/gatehouse-auth/gatehouse/infra

go 1.26
