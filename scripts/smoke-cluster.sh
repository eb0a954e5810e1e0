#!/usr/bin/env bash
# `scripts/smoke.sh --cluster [--keep]`: image-cloner end to end on a real
# cluster (CLUSTER-NOTES, Part 2.5). Builds and pushes the image, applies the
# manifests, creates a Deployment from a public image, and checks that its
# pods run from the backup registry with the source's digest, that excluded
# namespaces and images already in the backup are left alone, then cleans up
# what it created. Exit 0 only if every check held.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/smoke.sh --cluster [--keep]

Runs image-cloner end to end on a real cluster, in one of these modes:

  Kind, current context     the current kubectl context is a Kind cluster
                            (kind-<name>, listed by `kind get clusters`): the
                            local registry kind-registry (localhost:5001 on
                            the host, kind-registry:5000 in the cluster) is
                            set up if missing, the image is built as
                            localhost:5001/image-cloner:dev-<git sha>, pushed,
                            and installed with manifests/overlays/kind.
  Kind, new cluster         no cluster is reachable and kind is installed:
                            creates the Kind cluster image-cloner-smoke and the
                            registry kind-registry as above, and deletes both
                            at the end unless --keep is given.
  any other context         requires IMAGE and BACKUP_REGISTRY in the
                            environment (nothing is built):
                              IMAGE            the image-cloner image, already
                                               pushed where the cluster can
                                               pull it
                              BACKUP_REGISTRY  the backup registry prefix
                                               written into pod specs
                              BACKUP_REGISTRY_ENDPOINT (optional) where the
                                               webhook pushes, if different
                            Push credentials, if the backup registry needs
                            them, are up to you (see README, "Install on a
                            cluster"); the namespace image-cloner is deleted
                            at the end.

Needs kubectl; docker, kind and curl for Kind; skopeo (optional) to compare
the backup's digest with the source's.

  --keep     keep the Kind cluster and registry this script created
  -h, --help this help
Exit status: 0 all checks held, 1 a check failed, 2 usage or missing tools.
EOF
}

KEEP=false
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=true ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'smoke --cluster: unknown argument: %s\n\n' "$arg" >&2; usage >&2; exit 2 ;;
  esac
done

# --- Tools (before anything touches the machine) ---------------------------
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
if [[ -z "${IMAGE:-}" ]]; then
  # Without IMAGE the only possible modes are the Kind ones.
  for tool in kind docker curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
fi
if ((${#missing[@]} > 0)); then
  printf 'smoke --cluster: missing required tool(s): %s\n' "${missing[*]}" >&2
  printf 'Install them (kubectl always; docker, kind and curl for Kind), or set IMAGE and\n' >&2
  printf 'BACKUP_REGISTRY to use the current kubectl context without building. See --help.\n' >&2
  exit 2
fi

cd "$(dirname "$0")/.."
ROOT="$PWD"

CLUSTER_DEFAULT="image-cloner-smoke"
REG_NAME=kind-registry
REG_PORT=5001
SOURCE_IMAGE=registry.k8s.io/e2e-test-images/agnhost:2.52
SOURCE_REPO=registry.k8s.io/e2e-test-images/agnhost
SOURCE_TAG=2.52
ANNOTATION="image-cloner.io/original-images"
RENDER_DIR="$ROOT/.tmp/smoke-cluster"
ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'

FAILED=0
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }
note() { printf 'note  %s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
die() { printf 'FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); exit 1; }
has() { command -v "$1" >/dev/null 2>&1; }

# --- Which cluster ----------------------------------------------------------
MODE=""            # kind | generic
CLUSTER=""         # the Kind cluster's name
CTX=""             # the kubectl context every call uses
CREATED_CLUSTER=false
CREATED_REGISTRY=false
INSTALLED=false
CREATED_SMOKE_NS=false

reachable() { kubectl --context "$1" version --request-timeout=5s >/dev/null 2>&1; }

current="$(kubectl config current-context 2>/dev/null || true)"
if [[ "$current" == kind-* ]] && has kind && has docker \
  && kind get clusters 2>/dev/null | grep -qxF -- "${current#kind-}"; then
  MODE=kind
  CLUSTER="${current#kind-}"
  CTX="$current"
  reachable "$CTX" || { printf 'smoke --cluster: Kind cluster %s (context %s) is not reachable; is it running?\n' "$CLUSTER" "$CTX" >&2; exit 2; }
elif [[ -n "$current" ]] && reachable "$current"; then
  MODE=generic
  CTX="$current"
  if [[ -z "${IMAGE:-}" || -z "${BACKUP_REGISTRY:-}" ]]; then
    printf 'smoke --cluster: context %s is not a Kind cluster: set IMAGE (an image-cloner image the\n' "$CTX" >&2
    printf 'cluster can pull, already pushed) and BACKUP_REGISTRY. See --help.\n' >&2
    exit 2
  fi
elif has kind && has docker; then
  MODE=kind
  CLUSTER="$CLUSTER_DEFAULT"
  CTX="kind-$CLUSTER"
else
  printf 'smoke --cluster: no cluster is reachable (context: %s) and kind/docker are not installed to create one.\n' "${current:-none}" >&2
  exit 2
fi
if [[ "$MODE" == kind ]] && ! has curl; then
  printf 'smoke --cluster: missing required tool: curl (for the Kind registry checks)\n' >&2
  exit 2
fi

k() { kubectl --context "$CTX" "$@"; }

if [[ "$MODE" == kind ]]; then
  BACKUP="localhost:$REG_PORT"
else
  BACKUP="${BACKUP_REGISTRY%/}"
fi

# --- Cleanup ----------------------------------------------------------------
cleanup() {
  local status=$?
  set +e
  step "cleanup"
  if [[ "$CREATED_CLUSTER" == true && "$KEEP" == false ]]; then
    kind delete cluster --name "$CLUSTER"
  else
    if [[ "$CREATED_SMOKE_NS" == true ]]; then
      k delete namespace smoke --ignore-not-found --timeout=120s
    fi
    if [[ "$INSTALLED" == true && -d "$RENDER_DIR" ]]; then
      k delete -k "$RENDER_DIR" --ignore-not-found --timeout=180s
    fi
  fi
  if [[ "$CREATED_REGISTRY" == true && "$KEEP" == false ]]; then
    docker rm -f "$REG_NAME" >/dev/null
  fi
  if [[ "$CREATED_CLUSTER" == true && "$KEEP" == true ]]; then
    note "kept: Kind cluster $CLUSTER (context $CTX)$([[ "$CREATED_REGISTRY" == true ]] && printf ' and registry %s' "$REG_NAME")"
  fi
  rm -rf "$RENDER_DIR"
  rmdir "$ROOT/.tmp" 2>/dev/null
  if ((FAILED == 0 && status == 0)); then
    printf '\nsmoke --cluster: all checks passed\n'
    exit 0
  fi
  printf '\nsmoke --cluster: %d check(s) failed\n' "$((FAILED > 0 ? FAILED : 1))"
  exit 1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# poll SECONDS INTERVAL COMMAND...: runs COMMAND until it succeeds or time is up.
poll() {
  local timeout="$1" interval="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep "$interval"
  done
}

# --- Kind: cluster and local registry (CLUSTER-NOTES 2.1, 2.5) ---------------
if [[ "$MODE" == kind ]]; then
  step "Kind cluster $CLUSTER with the local registry $REG_NAME (localhost:$REG_PORT)"
  running="$(docker inspect -f '{{.State.Running}}' "$REG_NAME" 2>/dev/null || true)"
  if [[ "$running" == true ]]; then
    note "registry $REG_NAME already running: reused (copies from earlier runs may be there)"
  else
    docker rm -f "$REG_NAME" >/dev/null 2>&1 || true
    docker run -d --restart=always -p "127.0.0.1:$REG_PORT:5000" --network bridge --name "$REG_NAME" registry:3 >/dev/null
    CREATED_REGISTRY=true
  fi
  if ! kind get clusters 2>/dev/null | grep -qxF -- "$CLUSTER"; then
    # The config_path patch is needless with kind v0.27+ node images, harmless there,
    # and needed by older ones.
    kind create cluster --name "$CLUSTER" --wait 120s --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
EOF
    CREATED_CLUSTER=true
  fi
  nodes=()
  while IFS= read -r n; do [[ -n "$n" ]] && nodes+=("$n"); done < <(kind get nodes --name "$CLUSTER")
  ((${#nodes[@]} > 0)) || die "kind get nodes --name $CLUSTER: no nodes"
  for n in "${nodes[@]}"; do
    for h in "localhost:$REG_PORT" "$REG_NAME:5000"; do
      docker exec "$n" mkdir -p "/etc/containerd/certs.d/$h"
      printf '[host."http://%s:5000"]\n' "$REG_NAME" | docker exec -i "$n" cp /dev/stdin "/etc/containerd/certs.d/$h/hosts.toml"
    done
  done
  if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REG_NAME" 2>/dev/null || true)" == null ]]; then
    docker network connect kind "$REG_NAME"
  fi
  k -n kube-public create configmap local-registry-hosting --dry-run=client -o yaml \
    --from-literal=localRegistryHosting.v1="$(printf 'host: "localhost:%s"\nhostFromContainerRuntime: "localhost:%s"\nhostFromClusterNetwork: "%s:5000"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n' "$REG_PORT" "$REG_PORT" "$REG_NAME")" \
    | k apply -f - >/dev/null
  poll 30 1 curl -fsS -o /dev/null "http://localhost:$REG_PORT/v2/" || die "registry not answering on http://localhost:$REG_PORT/v2/"
  ok "cluster $CLUSTER (${#nodes[@]} node(s)), registry localhost:$REG_PORT -> $REG_NAME:5000 on every node"
  if curl -fsS "http://localhost:$REG_PORT/v2/_catalog?n=10000" 2>/dev/null | grep -qF "\"$SOURCE_REPO\""; then
    note "the registry already holds $SOURCE_REPO from an earlier run: the copy may be found rather than made"
  fi
fi

# --- The image --------------------------------------------------------------
if [[ -n "${IMAGE:-}" ]]; then
  WEBHOOK_IMAGE="$IMAGE"
  note "IMAGE set: using $WEBHOOK_IMAGE, nothing built"
else
  step "build and push the image"
  if [[ -z "${TAG:-}" ]]; then
    sha="$(git rev-parse --short HEAD 2>/dev/null || true)"
    TAG="dev-${sha:-nogit}"
    # A rebuild under the same tag would leave nodes on the old image (IfNotPresent).
    if [[ -z "$sha" ]] || [[ -n "$(git status --porcelain 2>/dev/null || true)" ]]; then
      TAG="$TAG-$(date +%s)"
    fi
  fi
  WEBHOOK_IMAGE="localhost:$REG_PORT/image-cloner:$TAG"
  docker build -t "$WEBHOOK_IMAGE" .
  docker push "$WEBHOOK_IMAGE"
  ok "built and pushed $WEBHOOK_IMAGE"
fi

# --- Render and apply the install ---------------------------------------------
step "install the webhook"
rm -rf "$RENDER_DIR"
mkdir -p "$RENDER_DIR"
# Splits an image reference into kustomize's newName and newTag/digest lines.
image_parts() {
  local ref="$1" name tag="" digest=""
  if [[ "$ref" == *@* ]]; then
    digest="${ref#*@}"
    ref="${ref%%@*}"
  fi
  name="$ref"
  if [[ "${ref##*/}" == *:* ]]; then
    tag="${ref##*:}"
    name="${ref%:*}"
  fi
  printf '    newName: "%s"\n' "$name"
  [[ -z "$tag" ]] || printf '    newTag: "%s"\n' "$tag"
  [[ -z "$digest" ]] || printf '    digest: "%s"\n' "$digest"
}
# kustomize accepts only relative paths to resources, hence a directory inside
# the repository: .tmp/smoke-cluster -> ../../manifests/...
{
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n'
  if [[ "$MODE" == kind ]]; then
    # overlays/kind already renamed image-cloner to localhost:5001/image-cloner.
    printf 'resources:\n  - ../../manifests/overlays/kind\n'
    printf 'images:\n  - name: localhost:%s/image-cloner\n' "$REG_PORT"
    if [[ -z "${IMAGE:-}" ]]; then
      printf '    newTag: "%s"\n' "$TAG"
    else
      image_parts "$WEBHOOK_IMAGE"
    fi
  else
    printf 'resources:\n  - ../../manifests\n'
    printf 'images:\n  - name: image-cloner\n'
    image_parts "$WEBHOOK_IMAGE"
    printf 'configMapGenerator:\n  - name: image-cloner-config\n    namespace: image-cloner\n    behavior: merge\n    literals:\n'
    printf '      - "BACKUP_REGISTRY=%s"\n' "$BACKUP"
    [[ -z "${BACKUP_REGISTRY_ENDPOINT:-}" ]] || printf '      - "BACKUP_REGISTRY_ENDPOINT=%s"\n' "$BACKUP_REGISTRY_ENDPOINT"
  fi
} >"$RENDER_DIR/kustomization.yaml"
rendered_image="$(k kustomize "$RENDER_DIR" | grep -E '^[[:space:]]+image: .*image-cloner' | head -n 1 | sed -E 's/^[[:space:]]+image: *//; s/^"//; s/"$//' || true)"
if [[ "$rendered_image" == "$WEBHOOK_IMAGE" ]]; then
  ok "rendered install runs $rendered_image"
else
  fail "rendered install runs '$rendered_image', expected $WEBHOOK_IMAGE"
fi
# Deleted by an earlier run and still terminating: apply would be refused.
if [[ "$(k get namespace image-cloner -o jsonpath='{.status.phase}' 2>/dev/null || true)" == Terminating ]]; then
  k wait --for=delete namespace/image-cloner --timeout=180s >/dev/null || die "namespace image-cloner still terminating"
fi
INSTALLED=true
k apply -k "$RENDER_DIR"
if k -n image-cloner rollout status deploy/image-cloner --timeout=180s; then
  ok "deploy/image-cloner rolled out"
else
  k -n image-cloner get pods -o wide || true
  die "deploy/image-cloner did not roll out within 180s"
fi

ca_bundle_set() {
  [[ -n "$(k get mutatingwebhookconfiguration image-cloner -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null)" ]]
}
if poll 120 2 ca_bundle_set; then
  ok "the webhook patched its caBundle"
else
  die "mutatingwebhookconfiguration image-cloner: caBundle still empty after 120s"
fi

# A smoke namespace left by an interrupted run (possibly still terminating).
k delete namespace smoke --ignore-not-found --timeout=120s >/dev/null
k create namespace smoke >/dev/null
CREATED_SMOKE_NS=true

probe_annotated() {
  k -n smoke run probe --image="$SOURCE_IMAGE" --restart=Never --dry-run=server -o yaml 2>/dev/null | grep -qF "$ANNOTATION"
}
if poll 120 3 probe_annotated; then
  ok "dry-run probe: a Pod in smoke gets the $ANNOTATION annotation"
else
  k -n smoke run probe --image="$SOURCE_IMAGE" --restart=Never --dry-run=server -o yaml || true
  die "dry-run probe: no $ANNOTATION annotation after 120s (webhook not called?)"
fi

# --- The workload -----------------------------------------------------------
step "a Deployment from $SOURCE_IMAGE"
k -n smoke create deployment web --image="$SOURCE_IMAGE" -- /agnhost netexec
if k -n smoke rollout status deploy/web --timeout=300s; then
  ok "deploy/web rolled out"
else
  k -n smoke get pods -o wide || true
  fail "deploy/web did not roll out within 300s"
fi

# Lines "name|deletionTimestamp|image" of the web pods.
web_pods() {
  k -n smoke get pods -l app=web \
    -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.metadata.deletionTimestamp}{"|"}{.spec.containers[0].image}{"\n"}{end}'
}
# The backup's copy exists (Kind: HEAD on the local registry); generic: unknown, assume so.
copy_present() {
  [[ "$MODE" != kind ]] && return 0
  curl -fsS -o /dev/null -I -H "Accept: $ACCEPT" "http://localhost:$REG_PORT/v2/$SOURCE_REPO/manifests/$SOURCE_TAG"
}
LAST_RECYCLE=$SECONDS
all_rewritten() {
  local name del image live=0 stale=()
  while IFS='|' read -r name del image; do
    [[ -n "$name" && -z "$del" ]] || continue
    live=$((live + 1))
    [[ "$image" == "$BACKUP/"* && "$image" == *@sha256:* ]] || stale+=("$name")
  done < <(web_pods)
  ((live > 0)) || return 1
  ((${#stale[@]} == 0)) && return 0
  # Admitted unchanged while the copy was still running: once the copy is there,
  # let the ReplicaSet recreate them (their admission is then rewritten).
  if ((SECONDS - LAST_RECYCLE >= 20)) && copy_present; then
    note "pod(s) still on the original image: ${stale[*]}; deleting them so the ReplicaSet recreates them"
    k -n smoke delete pod "${stale[@]}" --wait=false >/dev/null || true
    LAST_RECYCLE=$SECONDS
  fi
  return 1
}
if poll 300 5 all_rewritten; then
  ok "every web pod runs from $BACKUP/ pinned by digest"
else
  fail "web pods not all rewritten to $BACKUP/…@sha256: within 300s"
fi
web_pods | sed 's/^/      /'
if k -n smoke wait --for=condition=Ready pod -l app=web --timeout=180s >/dev/null; then
  ok "web pods Ready"
else
  fail "web pods not Ready within 180s"
fi

BACKUP_REF=""
while IFS='|' read -r name del image; do
  if [[ -n "$name" && -z "$del" && "$image" == "$BACKUP/"*@sha256:* ]]; then
    BACKUP_REF="$image"
    break
  fi
done < <(web_pods)
BACKUP_DIGEST="${BACKUP_REF##*@}"
ORIGINALS="$(k -n smoke get pods -l app=web -o jsonpath="{.items[0].metadata.annotations.image-cloner\\.io/original-images}" 2>/dev/null || true)"
if [[ "$ORIGINALS" == *"$SOURCE_IMAGE"* ]]; then
  ok "pod annotation $ANNOTATION records $SOURCE_IMAGE"
else
  note "pod annotation $ANNOTATION: '${ORIGINALS}' (the Deployment itself may carry it instead)"
fi

# --- The backup -------------------------------------------------------------
step "the backup"
SOURCE_DIGEST=""
if has skopeo; then
  # Hash the bytes as they come (a command substitution would drop a final newline).
  if sum="$(skopeo inspect --raw "docker://$SOURCE_IMAGE" | sha256sum)"; then
    SOURCE_DIGEST="sha256:${sum%% *}"
    note "source $SOURCE_IMAGE is $SOURCE_DIGEST"
  else
    fail "skopeo inspect --raw docker://$SOURCE_IMAGE failed"
  fi
else
  note "skopeo not installed: the source digest is not compared (skipped)"
fi
if [[ -z "$BACKUP_REF" ]]; then
  fail "no web pod runs a backup reference: nothing to check in the backup"
else
  if [[ -n "$SOURCE_DIGEST" ]]; then
    if [[ "$BACKUP_DIGEST" == "$SOURCE_DIGEST" ]]; then
      ok "pods are pinned to the source's digest $SOURCE_DIGEST"
    else
      fail "pods pinned to $BACKUP_DIGEST, the source is $SOURCE_DIGEST"
    fi
  fi
  if [[ "$MODE" == kind ]]; then
    if curl -fsS "http://localhost:$REG_PORT/v2/_catalog?n=10000" | grep -qF "\"$SOURCE_REPO\""; then
      ok "http://localhost:$REG_PORT/v2/_catalog lists $SOURCE_REPO"
    else
      fail "http://localhost:$REG_PORT/v2/_catalog does not list $SOURCE_REPO"
    fi
    for ref in "$SOURCE_TAG" "$BACKUP_DIGEST"; do
      got="$(curl -fsSI -H "Accept: $ACCEPT" "http://localhost:$REG_PORT/v2/$SOURCE_REPO/manifests/$ref" 2>/dev/null \
        | tr -d '\r' | awk -F': *' 'tolower($1) == "docker-content-digest" { print $2 }')" || got=""
      want="${SOURCE_DIGEST:-$BACKUP_DIGEST}"
      if [[ "$got" == "$want" ]]; then
        ok "backup $SOURCE_REPO:$ref has Docker-Content-Digest $got"
      else
        fail "backup $SOURCE_REPO manifests/$ref: Docker-Content-Digest '$got', expected $want"
      fi
    done
    node_has_it=false
    for n in "${nodes[@]}"; do
      if docker exec "$n" crictl images 2>/dev/null | grep -qF "localhost:$REG_PORT/$SOURCE_REPO"; then node_has_it=true; fi
    done
    if [[ "$node_has_it" == true ]]; then
      ok "a node pulled localhost:$REG_PORT/$SOURCE_REPO (crictl images)"
    else
      fail "no node lists localhost:$REG_PORT/$SOURCE_REPO in crictl images"
    fi
  elif has skopeo; then
    if got="$(skopeo inspect --raw "docker://$BACKUP_REF" 2>/dev/null | sha256sum | cut -d' ' -f1)" \
      && [[ "sha256:$got" == "$BACKUP_DIGEST" ]]; then
      ok "skopeo reads $BACKUP_REF from the backup"
    else
      note "skopeo could not read $BACKUP_REF from here (credentials?): backup contents not checked"
    fi
  fi
fi

# --- Negative controls ----------------------------------------------------------
step "left alone"
negctl="$(k -n image-cloner create deployment negctl --image="$SOURCE_IMAGE" --dry-run=server \
  -o jsonpath='{.spec.template.spec.containers[0].image}' 2>&1)" || negctl="error: $negctl"
if [[ "$negctl" == "$SOURCE_IMAGE" ]]; then
  ok "a Deployment in namespace image-cloner keeps $SOURCE_IMAGE"
else
  fail "a Deployment in namespace image-cloner got '$negctl', expected $SOURCE_IMAGE"
fi
if [[ -n "$BACKUP_REF" ]]; then
  already="$(k -n smoke run already --image="$BACKUP_REF" --restart=Never --dry-run=server -o yaml 2>&1)" || already="error: $already"
  already_image="$(printf '%s\n' "$already" | grep -E '^[[:space:]]+image: ' | head -n 1 | sed -E 's/^[[:space:]]+image: *//; s/^"//; s/"$//' || true)"
  if [[ "$already_image" == "$BACKUP_REF" ]] && ! printf '%s\n' "$already" | grep -qF "$ANNOTATION"; then
    ok "a Pod already on the backup ($BACKUP_REF) is not patched"
  else
    fail "a Pod already on the backup was changed: image '$already_image'$(printf '%s\n' "$already" | grep -qF "$ANNOTATION" && printf ', annotated')"
  fi
else
  fail "no backup reference to check 'already in the backup' with"
fi
