package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	gatehouse := flag.String("gatehouse", "bin/gatehouse", "path of the gatehouse binary")
	dev := flag.Bool("dev", false, "leave the stack running until Ctrl-C instead of walking the story")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, *gatehouse, *dev))
}

func run(ctx context.Context, gatehouse string, dev bool) int {
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	fmt.Println("Starting Gatehouse and local stand-ins for AWS on 127.0.0.1 ...")
	s, err := startStack(startCtx, gatehouse)
	if s != nil {
		defer s.Stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo FAILED while starting:", err)
		return 1
	}
	if dev {
		// The partner whose administrator the guide signs in (the story's step 6).
		if _, err := newWalker(startCtx, s, io.Discard).registerSelfServe(); err != nil {
			fmt.Fprintln(os.Stderr, "\ndev FAILED while registering the demo partner:", err)
			return 1
		}
		s.PrintGuide(os.Stdout)
		<-ctx.Done()
		fmt.Println("\nstopping everything ...")
		return 0
	}
	storyCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := walk(storyCtx, s, os.Stdout); err != nil {
		var f *stepError
		if errors.As(err, &f) {
			fmt.Fprintf(os.Stderr, "\ndemo FAILED at step %s: %v\n", f.step, f.err)
		} else {
			fmt.Fprintln(os.Stderr, "\ndemo FAILED:", err)
		}
		return 1
	}
	fmt.Println("\ndemo passed: every step behaved.")
	return 0
}
