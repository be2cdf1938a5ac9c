# modelpromote: a static binary in a minimal distroless image, built from
# source.
#
# The last stage, `action`, is what the GitHub Action (action.yml,
# `image: Dockerfile`) builds and runs. The `server` stage is the same
# binary as a non-root image for everything else (`modelpromote serve`, the
# CLI in CI): `docker build --target server .` The released image on GHCR
# is that same stage around the released binaries (Dockerfile.release,
# built by GoReleaser). .dockerignore keeps the context to what the build
# reads.
#
# Base images are pinned by tag. To pin them by digest as well (recommended;
# Dependabot's "docker" ecosystem or Renovate then keep them current), look
# the digests up and append them, e.g.:
#   docker buildx imagetools inspect golang:1.26.8-bookworm --format '{{json .Manifest.Digest}}'
#   crane digest gcr.io/distroless/static-debian12:nonroot
# and write  FROM golang:1.26.8-bookworm@sha256:<digest> AS build  (the tag
# stays for readers; the digest is what is pulled).

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
ARG VERSION=dev
# CGO off: a static binary that needs no libc, so the final image can be
# distroless/static (CA certificates and tzdata, nothing else).
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/modelpromote/modelpromote/internal/cli.Version=${VERSION}" \
      -o /out/modelpromote ./cmd/modelpromote

# Non-root image for the App server and the CLI.
FROM gcr.io/distroless/static-debian12:nonroot AS server
COPY --from=build /out/modelpromote /usr/local/bin/modelpromote
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/modelpromote"]

# The GitHub Action. Same minimal base (no shell, no package manager), but
# GitHub runs Docker actions as the image's user and requires root: the
# files the runner mounts for the step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY
# under /github/file_commands, the workspace) belong to the runner's user,
# and a non-root container cannot write its outputs to them. See "Dockerfile
# support for GitHub Actions" → USER in GitHub's documentation. The action
# reads the repository through the API, never the workspace, and writes
# only those files.
FROM gcr.io/distroless/static-debian12:nonroot AS action
COPY --from=build /out/modelpromote /usr/local/bin/modelpromote
USER 0:0
ENTRYPOINT ["/usr/local/bin/modelpromote", "action"]
