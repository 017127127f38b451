# Build: the static stockledger binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stockledger ./cmd/stockledger

# Run: the binary alone. It needs DATABASE_URL here; the private-PostgreSQL default is for
# machines with PostgreSQL installed.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stockledger /stockledger
ENV LISTEN_ADDR=:8000
EXPOSE 8000
ENTRYPOINT ["/stockledger"]
CMD ["serve"]
