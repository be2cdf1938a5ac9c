# Build a static modelpromote binary, then ship it alone in a minimal,
# non-root image. The GitHub Action runs this image.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/modelpromote/modelpromote/internal/cli.Version=${VERSION}" \
      -o /out/modelpromote ./cmd/modelpromote

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/modelpromote /usr/local/bin/modelpromote
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/modelpromote"]
