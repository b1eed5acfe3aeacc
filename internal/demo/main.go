package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/localservices"
)

func main() {
	gatehouse := flag.String("gatehouse", "bin/gatehouse", "path of the gatehouse binary to demonstrate")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err := run(ctx, *gatehouse, os.Stdout)
	cancel()
	stop()
	localservices.StopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\ndemo passed: every step behaved.")
}
