# shellcheck shell=bash
# The image size gate of docker/build-images.sh, sourced by it and tested on its own
# (apps/cmdr/src/docker/image-size.test.ts): an image must stay under both limits, in MB of 10^6 bytes:
#   SINGLE_IMAGE_MAX_MB               compressed, what a registry stores and a node pulls (default 200)
#   SINGLE_IMAGE_MAX_UNCOMPRESSED_MB  uncompressed, its file system on the node (default 200, issue 18's target)

# MB with one decimal, from bytes (rounded down: 199,999,999 bytes is 199.9 MB, under a 200 MB limit).
image_size_mb() { echo "$(($1 / 1000000)).$(($1 % 1000000 / 100000))"; }

# image_size_problem APP COMPRESSED_BYTES UNCOMPRESSED_BYTES
# Prints nothing and returns 0 when the image is under both limits; otherwise prints one line naming the image,
# both of its sizes and each limit it reaches, and returns 1 (2 when a size is not a number of bytes).
image_size_problem() {
  local app=$1 compressed=${2//[[:space:]]/} uncompressed=${3//[[:space:]]/}
  local max=${SINGLE_IMAGE_MAX_MB:-200} max_uncompressed=${SINGLE_IMAGE_MAX_UNCOMPRESSED_MB:-200}
  if [[ ! $compressed =~ ^[0-9]+$ || ! $uncompressed =~ ^[0-9]+$ ]]; then
    echo "$app: the image's size is unknown (compressed '$compressed', uncompressed '$uncompressed' bytes)"
    return 2
  fi
  local over=()
  ((compressed < max * 1000000)) || over+=("under $max MB compressed")
  ((uncompressed < max_uncompressed * 1000000)) || over+=("under $max_uncompressed MB uncompressed")
  ((${#over[@]} == 0)) && return 0
  local rule=${over[0]}
  ((${#over[@]} == 1)) || rule="${over[0]} and ${over[1]}"
  echo "$app: the image is $(image_size_mb "$compressed") MB compressed and $(image_size_mb "$uncompressed") MB uncompressed; it must be $rule"
  return 1
}
