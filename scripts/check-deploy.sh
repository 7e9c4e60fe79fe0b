#!/usr/bin/env bash
# Validates the deployment artefacts without a container engine or a cluster:
#   1. docker-compose.yml with `docker-compose config` (Debian's docker-compose, or `docker compose`),
#      against a .env made from .env.example;
#   2. each Dockerfile runs the entry point its package.json declares;
#   3. the Helm chart, rendered with every deploy/helm/gatehouse/ci/*-values.yaml by `helm` when
#      present, else by deploy/helm/render (Go text/template + sprig from Debian), and checked;
#   4. the example gatehouse.yaml and the chart's ConfigMaps against the real config loader, and the
#      Grafana dashboards in deploy/grafana against the metrics the apps declare;
#   5. with --images: each app's production-only install (`pnpm deploy --prod`, as in its
#      Dockerfile) starts its image entry point without a module loading error. Needs `pnpm build`.
# With --render VALUES_FILE: only prints the chart rendered with that file, by the same renderer
# (test/deploy/admission-policy.test.ts evaluates the ValidatingAdmissionPolicy's CEL from it).
# Installs what it needs with apt-get when missing; a part whose tool cannot be installed is
# SKIPPED with a message. Any validation error exits non-zero. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
images=false
render_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images=true ;;
    --render) render_only="${2:?--render needs a values file}"; shift ;;
    *) echo "usage: scripts/check-deploy.sh [--images | --render VALUES_FILE]" >&2; exit 2 ;;
  esac
  shift
done

CHART=deploy/helm/gatehouse
CACHE="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gatehouse-check-deploy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
skipped=()

say() { echo "check-deploy: $*"; }
die() { echo "check-deploy: FAIL: $*" >&2; exit 1; }

# The script an image's ENTRYPOINT ["node", <node flags>..., "/app/<script>"] runs, relative to /app.
entry_script() { sed -n 's/^ENTRYPOINT \["node", \("--[^"]*", \)*"\/app\/\([^"]*\)".*/\2/p' "$1"; }
# The node flags of that ENTRYPOINT, space-separated (none: empty).
entry_flags() { sed -n 's/^ENTRYPOINT \["node", \(\("--[^"]*", \)*\)"\/app\/.*/\1/p' "$1" | tr -d '",'; }

# apt_install PKG...: quietly, refreshing the package lists only when the first try fails.
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  local log="$CACHE/apt.log"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1 && return 0
  apt-get update -qq >>"$log" 2>&1 || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1
}

if [ -z "$render_only" ]; then
  # --- 1. docker-compose.yml ----------------------------------------------------------------------
  compose=()
  if command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif apt_install docker-compose && command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  fi
  if [ ${#compose[@]} -eq 0 ]; then
    skipped+=(compose)
    say "SKIP compose: no docker-compose or docker compose, and apt-get could not install docker-compose"
  else
    # A scratch project directory, so a developer's own .env is neither needed nor touched.
    cp docker-compose.yml "$WORK/docker-compose.yml"
    cp .env.example "$WORK/.env"
    (cd "$WORK" && "${compose[@]}" -f docker-compose.yml config -q) || die "docker-compose.yml is invalid (${compose[*]} config)"
    while read -r dockerfile; do
      [ -f "$dockerfile" ] || die "docker-compose.yml builds $dockerfile, which does not exist"
    done < <(sed -n 's/^ *dockerfile: *//p' docker-compose.yml)
    config_default=$(sed -n 's/.*GATEHOUSE_CONFIG_FILE:-\([^}]*\)}.*/\1/p' docker-compose.yml | sort -u)
    for file in $config_default; do
      [ -f "$file" ] || die "docker-compose.yml mounts $file by default, which does not exist"
    done
    say "ok   docker-compose.yml (${compose[*]} config)"
  fi

  # --- 2. Dockerfiles -----------------------------------------------------------------------------
  for app in gateway slackbot; do
    dockerfile="apps/$app/Dockerfile"
    [ -f "$dockerfile" ] || die "$dockerfile is missing"
    entry=$(entry_script "$dockerfile")
    [ -n "$entry" ] || die "$dockerfile has no ENTRYPOINT [\"node\", <--flags>..., \"/app/...\"]"
    # The bin the package declares is what `pnpm build` produces and what the image must run. A bin
    # may be a committed launcher (bin/*.js, so pnpm links it before a build) that imports the built
    # entry: then that entry is what the image must run.
    bin=$(node -e '
      const { readFileSync } = require("node:fs");
      const { dirname, join, normalize } = require("node:path");
      const packageJson = process.argv[1];
      const bin = require(packageJson).bin;
      const targets = typeof bin === "string" ? [bin] : Object.values(bin ?? {});
      const entry = (target) => {
        const source = readFileSync(join(dirname(packageJson), target), "utf8");
        const launched = source.match(/^import ["\x27](\.\.\/dist\/[^"\x27]+)["\x27];$/m);
        return normalize(launched ? join(dirname(target), launched[1]) : target);
      };
      console.log(targets.map(entry).join(" "));
    ' "./apps/$app/package.json")
    if [ -z "$bin" ]; then
      say "note $dockerfile: apps/$app/package.json declares no bin yet; the image runs $entry"
    elif [[ " $bin " != *" $entry "* ]]; then
      die "$dockerfile runs $entry but apps/$app/package.json's bin is $bin"
    fi
  done
  say "ok   Dockerfiles (entry points match package.json bin)"
fi

# --- 3. Helm chart ------------------------------------------------------------------------------
render=()
renderer=""
if command -v helm >/dev/null 2>&1; then
  helm lint --strict "$CHART" -f "$CHART/ci/default-values.yaml" >/dev/null || die "helm lint failed"
  render=(helm template gatehouse "$CHART")
  renderer="helm template"
else
  # Debian has no helm; build the stand-in renderer from Debian's Go, sprig and sigs.k8s.io/yaml.
  if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/github.com/Masterminds/sprig ] ||
    [ ! -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then
    apt_install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev || true
  fi
  if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ]; then
    binary="$CACHE/render-$(sha256sum deploy/helm/render/main.go | cut -c1-16)"
    if [ ! -x "$binary" ]; then
      # GOPATH mode; sprig/v3 and semver/v3 are Debian's unversioned directories under a /v3 alias.
      gopath="$CACHE/gopath"
      mkdir -p "$gopath/src/gatehouse-render" "$gopath/src/github.com/Masterminds/sprig" "$gopath/src/github.com/Masterminds/semver"
      ln -sfn /usr/share/gocode/src/github.com/Masterminds/sprig "$gopath/src/github.com/Masterminds/sprig/v3"
      ln -sfn /usr/share/gocode/src/github.com/Masterminds/semver "$gopath/src/github.com/Masterminds/semver/v3"
      cp deploy/helm/render/main.go "$gopath/src/gatehouse-render/main.go"
      (cd "$gopath/src/gatehouse-render" &&
        GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$CACHE/go-build" GOFLAGS='' \
          go build -o "$binary" .) || die "could not build deploy/helm/render"
    fi
    render=("$binary")
    renderer="deploy/helm/render (no helm binary here)"
  fi
fi
# render_chart VALUES_FILE...: the chart's manifests on stdout, released in $NAMESPACE (default gatehouse).
render_chart() {
  local args=()
  for values in "$@"; do args+=(-f "$values"); done
  if [ "${render[0]}" = helm ]; then
    "${render[@]}" "${args[@]}" --namespace "${NAMESPACE:-gatehouse}"
  else
    "${render[@]}" "${args[@]}" -namespace "${NAMESPACE:-gatehouse}" "$CHART"
  fi
}
if [ -n "$render_only" ]; then
  [ ${#render[@]} -gt 0 ] || die "no helm binary, and Go with sprig could not be installed to render the chart"
  render_chart "$render_only"
  exit
fi
value_sets=0
if [ ${#render[@]} -eq 0 ]; then
  skipped+=(helm)
  say "SKIP helm: no helm binary, and Go with sprig could not be installed to render the chart"
else
  for values in "$CHART"/ci/*-values.yaml; do
    render_chart "$values" >"$WORK/chart-$(basename "$values" -values.yaml).yaml" ||
      die "the chart does not render with $values"
    value_sets=$((value_sets + 1))
  done
  # The chart must refuse per-pod self-signed certificates behind a multi-replica Service.
  printf 'gateway:\n  replicas: 2\n  tls: { mode: self-signed }\n' >"$WORK/bad-values.yaml"
  if refused=$(render_chart "$CHART/ci/default-values.yaml" "$WORK/bad-values.yaml" 2>&1 >/dev/null); then
    die "the chart accepted gateway.tls.mode self-signed with 2 replicas"
  fi
  [[ "$refused" == *"own CA"* ]] || die "the chart failed for another reason than the TLS setting: $refused"
  # A secret the config reads from the environment that no pod would get: refused, naming it.
  printf 'config:\n  telemetry:\n    otlp: { endpoint: "http://otel:4318", headersFromEnv: { Authorization: OTLP_AUTH } }\n' >"$WORK/bad-env-values.yaml"
  if refused=$(render_chart "$CHART/ci/default-values.yaml" "$WORK/bad-env-values.yaml" 2>&1 >/dev/null); then
    die "the chart accepted a config reading OTLP_AUTH from an environment no pod gets"
  fi
  [[ "$refused" == *"OTLP_AUTH"*"secretEnv"* ]] || die "the chart failed for another reason than the missing variable: $refused"
  # Installed in another namespace, the policy's deny rules name that namespace, not `gatehouse`.
  NAMESPACE=ops-gate render_chart "$CHART/ci/default-values.yaml" >"$WORK/chart-elsewhere.yaml" ||
    die "the chart does not render in namespace ops-gate"
  node -e '
    const { parseAllDocuments } = require(require.resolve("yaml", { paths: ["packages/config"] }));
    const docs = parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8")).map((d) => d.toJS());
    const config = docs.find((d) => d?.kind === "ConfigMap" && d.data?.["gatehouse.yaml"]);
    const rules = parseAllDocuments(config.data["gatehouse.yaml"])[0].toJS().policy.rules;
    const guard = rules.filter((r) => r.name.startsWith("gatehouse-")).map((r) => r.match.namespaces.join());
    if (guard.join(" ") !== "ops-gate ops-gate") throw new Error(`namespace rules name ${guard.join(" ")}`);
  ' "$WORK/chart-elsewhere.yaml" || die "the chart's namespace deny rules do not name the release namespace"
  say "ok   Helm chart ($value_sets value sets rendered by $renderer; bad TLS setting and unset secret variable refused)"
fi

# --- 4. gatehouse.yaml files against @gatehouse/config ------------------------------------------
if [ -x node_modules/.bin/tsx ] && [ -f packages/config/src/index.ts ]; then
  node --import tsx --conditions=@gatehouse/source deploy/check-config.mjs \
    deploy/gatehouse.example.yaml "$WORK"/chart-*.yaml || die "a shipped gatehouse.yaml does not load"
else
  skipped+=(config)
  say "SKIP config: run pnpm install first (needs tsx and packages/config)"
fi

# --- 4b. Grafana dashboards: valid JSON, every metric queried declared by an app ---------------
node deploy/check-dashboard.mjs || die "a dashboard in deploy/grafana queries a metric no app declares, or is invalid"
say "ok   Grafana dashboards (deploy/grafana)"

# --- 5. production installs load (--images) ------------------------------------------------------
if $images; then
  for app in gateway slackbot; do
    entry=$(entry_script "apps/$app/Dockerfile")
    flags=$(entry_flags "apps/$app/Dockerfile")
    [ -f "apps/$app/$entry" ] || die "apps/$app/$entry is missing; run pnpm build first"
    pnpm --filter="@gatehouse/$app" --prod deploy --legacy "$WORK/image-$app" >"$WORK/deploy-$app.log" 2>&1 ||
      die "pnpm deploy of @gatehouse/$app failed: $(tail -5 "$WORK/deploy-$app.log")"
    # No config and no secrets: the app must get far enough to complain about those, or print usage.
    status=0
    (cd "$WORK/image-$app" && env -u SLACK_BOT_TOKEN -u SLACK_SIGNING_SECRET -u SLACK_APP_TOKEN \
      GATEHOUSE_CONFIG=/nonexistent/gatehouse.yaml NODE_ENV=production \
      timeout 20 node $flags "$entry" --help >"$WORK/run-$app.log" 2>&1) || status=$?
    if grep -qE 'ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|SyntaxError|Cannot find (module|package)' "$WORK/run-$app.log"; then
      die "the $app image's entry point does not load with production dependencies only:
$(head -12 "$WORK/run-$app.log")"
    fi
    say "ok   $app: production install ($(du -sh "$WORK/image-$app" | cut -f1)) loads $entry (exit $status)"
  done
fi

if [ ${#skipped[@]} -gt 0 ]; then
  say "done, skipped: ${skipped[*]}"
else
  say "done, all deployment checks passed"
fi
