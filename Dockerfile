# syntax=docker/dockerfile:1
# The gatehouse image built with Docker. `make image` builds the same image
# without Docker (internal/ociimage); a test holds this file to that image's
# user, entrypoint, command, environment, ports and labels.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) -t gatehouse .
#
# `serve` needs GATEHOUSE_REQUEST_HEADERS (forward-auth) or GATEHOUSE_UPSTREAM
# (proxy mode), and the authorizer's GATEHOUSE_* variables: it refuses to
# start without them rather than guess.

FROM --platform=$BUILDPLATFORM golang:1.26-trixie AS build
ARG TARGETOS TARGETARCH VERSION=devel COMMIT=devel
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/gatehouse-auth/gatehouse/internal/version.Version=${VERSION} -X github.com/gatehouse-auth/gatehouse/internal/version.Commit=${COMMIT}" \
      -o /out/gatehouse ./cmd/gatehouse

FROM debian:trixie-slim AS files
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && printf 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > /passwd \
 && printf 'nonroot:x:65532:\n' > /group

FROM scratch
ARG VERSION=devel COMMIT=devel
COPY --from=files /passwd /etc/passwd
COPY --from=files /group /etc/group
COPY --from=files /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/gatehouse /usr/local/bin/gatehouse
USER 65532:65532
WORKDIR /
ENV PATH=/usr/local/bin
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV GATEHOUSE_ADDR=0.0.0.0:8080
ENV GATEHOUSE_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080/tcp 9090/tcp
LABEL org.opencontainers.image.title="gatehouse"
LABEL org.opencontainers.image.description="Gatehouse: forward-auth and reverse proxy turning Cognito tokens into one internal user id"
LABEL org.opencontainers.image.version="${VERSION}"
LABEL org.opencontainers.image.revision="${COMMIT}"
LABEL org.opencontainers.image.source="https://github.com/gatehouse-auth/gatehouse"
LABEL org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/usr/local/bin/gatehouse"]
CMD ["serve"]
