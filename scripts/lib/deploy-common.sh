# shellcheck shell=bash
# Shared by every scripts/deploy-*.sh: logging, the command line helpers, the one confirmation,
# the one pre-flight check, the one platecheck gate, dry runs, and reading the Argo CD
# Applications under environments/ (the single source of every version the scripts deploy).
# The caller sets REPO_ROOT before sourcing this file.

APPS_DIR="${REPO_ROOT}/environments/argocd/apps"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'error: %s (see %s --help)\n' "$*" "$(script_name)" >&2; exit 2; }
script_name() { printf 'scripts/%s' "$(basename "$0")"; }

# The usage text is the script's header comment, so --help and the file cannot disagree.
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

# bool_var NAME: the value of a true/false environment variable, refusing anything else so a
# typo such as DRY_RUN=ture never deploys for real.
bool_var() {
  local value="${!1:-false}"
  case "${value}" in
    true | false) printf '%s' "${value}" ;;
    *) die "$1 must be true or false, not '${value}'" ;;
  esac
}

DRY_RUN="$(bool_var DRY_RUN)"
readonly DRY_RUN

# mutate COMMAND...: every call that changes the cluster goes through here; a dry run prints it.
mutate() {
  if [[ "${DRY_RUN}" == "true" ]]; then
    log "dry run, would run: $*"
    return 0
  fi
  "$@"
}

# confirm PROMPT: the one confirmation. Only "yes" typed on a terminal goes on;
# CONFIRM_PRODUCTION=yes answers it for unattended runs (and deploy-all.sh, once asked).
confirm() {
  if [[ "${CONFIRM_PRODUCTION:-}" == "yes" ]]; then
    log "${1% } yes (CONFIRM_PRODUCTION=yes)"
    return 0
  fi
  if [[ ! -t 0 ]]; then
    die "confirmation needed but stdin is not a terminal: run $(script_name) interactively, or set CONFIRM_PRODUCTION=yes to confirm in advance"
  fi
  local answer=""
  read -r -p "$1" answer || true
  [[ "${answer}" == "yes" ]] || die "cancelled: nothing was changed (answer 'yes' to go on)"
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 \
    || die "$1 is not installed or not on PATH: $(script_name) needs it ($2)"
}

# preflight TOOL...: the tools are installed and the cluster answers. Callers that apply
# Applications set NEEDS_ARGOCD=true: then Argo CD and its Application CRD must be there too.
preflight() {
  log "Pre-flight checks"
  local tool
  for tool in "$@"; do
    case "${tool}" in
      kubectl) require_tool kubectl "https://kubernetes.io/docs/tasks/tools/" ;;
      helm) require_tool helm "https://helm.sh/docs/intro/install/" ;;
      *) require_tool "${tool}" "see --help" ;;
    esac
  done
  kubectl cluster-info >/dev/null 2>&1 \
    || die "cannot reach the cluster of context '$(current_context)' (check your kubeconfig)"
  if [[ "${NEEDS_ARGOCD:-false}" == "true" ]]; then
    kubectl get namespace "${ARGOCD_NAMESPACE}" >/dev/null 2>&1 \
      || die "namespace ${ARGOCD_NAMESPACE} not found: install Argo CD first (scripts/deploy-libraries.sh argocd)"
    kubectl get crd applications.argoproj.io >/dev/null 2>&1 \
      || die "the Argo CD Application CRD is missing: install Argo CD first"
  fi
}

current_context() { kubectl config current-context 2>/dev/null || printf '<none>'; }

# check_production_context: production is deployed from a context whose name says so; any
# other name is shown and needs its own confirmation.
check_production_context() {
  local context
  context="$(current_context)"
  log "Current kubectl context: ${context}"
  if [[ "${context}" != *prod* ]]; then
    warn "the kubectl context '${context}' does not contain 'prod' or 'production': is this the production cluster?"
    confirm "Deploy production to context '${context}' anyway? Type 'yes': "
  fi
}

# platecheck_gate ENV: the pre-merge gate, run again before anything is deployed. platecheck
# renders every Application of ENV as Argo CD will and checks the policies; findings (exit 1)
# and anything it could not check (exit 2) stop the deployment.
platecheck_gate() {
  local env="$1" status=0
  local platecheck="${PLATECHECK:-platecheck}"
  command -v "${platecheck}" >/dev/null 2>&1 \
    || die "platecheck is not installed: pip install platecheck (or set PLATECHECK=/path/to/platecheck); nothing was deployed"
  log "Checking the ${env} Applications with platecheck"
  "${platecheck}" lint "${REPO_ROOT}/environments" --env "${env}" || status=$?
  case "${status}" in
    0) log "platecheck: ${env} passes" ;;
    1) die "platecheck found problems in ${env}: fix them before deploying; nothing was deployed" ;;
    *) die "platecheck could not check ${env} (exit ${status}): nothing was deployed" ;;
  esac
}

# env_apps stg|prod: the environment's Applications (without the suffix) in the seeds'
# dependency order, which is also their sync-wave order: the build cache, the API, the LLM
# service (staging only), the web front end, then the shared Ingress.
env_apps() {
  case "$1" in
    stg) echo plate-cache plate-api plate-llm plate-web ingress ;;
    prod) echo plate-cache plate-api plate-web ingress ;;
    *) die "unknown environment '$1'" ;;
  esac
}

# apply_applications ENV_SHORT APP...: apply each Application manifest, in order. A dry run
# sends them with --dry-run=server: the API server validates them and nothing changes.
apply_applications() {
  local env="$1" app file files=()
  shift
  # Every manifest must exist before the first is applied: never half an environment.
  for app in "$@"; do
    files+=("$(app_file "${app}-${env}")") || exit 1
  done
  for file in "${files[@]}"; do
    if [[ "${DRY_RUN}" == "true" ]]; then
      kubectl apply --dry-run=server -f "${file}"
    else
      kubectl apply -f "${file}"
    fi
  done
}

# app_file NAME: the Argo CD Application manifest of NAME.
app_file() {
  local file="${APPS_DIR}/$1.yaml"
  [[ -f "${file}" ]] || die "missing ${file#"${REPO_ROOT}/"}: no Argo CD Application named $1"
  printf '%s\n' "${file}"
}

# yaml_paths FILE...: every scalar of block-style YAML files as "dotted.path<TAB>value", list
# items numbered from 0 (spec.sources.0.chart); with several files each line starts with
# "FILE<TAB>". Enough for Argo CD Application manifests, which tests/test_scripts.py compares
# with a YAML parser's reading of each one.
yaml_paths() {
  awk -v many="$(($# > 1))" '
    function unquote(v) {
      if (v ~ /^"/) { sub(/^"/, "", v); sub(/"[ \t]*(#.*)?$/, "", v); return v }
      if (v ~ /^\047/) { sub(/^\047/, "", v); sub(/\047[ \t]*(#.*)?$/, "", v); return v }
      sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v); return v
    }
    function path(   p, i) {
      p = ""
      for (i = 1; i <= depth; i++) p = p (p == "" ? "" : ".") key[i]
      return p
    }
    function emit(k, v,   p) {
      p = path(); p = (p == "" ? k : (k == "" ? p : p "." k))
      print (many ? FILENAME "\t" : "") p "\t" unquote(v)
    }
    function handle(n, text,   k, v, pos) {
      if (text ~ /^-( |$)/) {
        while (depth > 0 && (ind[depth] > n || (ind[depth] == n && item[depth]))) depth--
        depth++; ind[depth] = n; item[depth] = 1; key[depth] = count[depth - 1]++
        count[depth] = 0
        text = substr(text, 2); match(text, /^ */)
        if (RLENGTH == length(text)) return
        handle(n + 1 + RLENGTH, substr(text, RLENGTH + 1))
        return
      }
      while (depth > 0 && ind[depth] >= n) depth--
      pos = index(text, ": ")
      if (pos == 0 && text ~ /:$/) pos = length(text)
      if (pos == 0) { emit("", text); return }
      k = unquote(substr(text, 1, pos - 1)); v = substr(text, pos + 1); sub(/^[ \t]+/, "", v)
      if (v == "" || v ~ /^#/) {
        depth++; ind[depth] = n; item[depth] = 0; key[depth] = k; count[depth] = 0
      } else if (v ~ /^[|>]/) {
        block = n
      } else {
        emit(k, v)
      }
    }
    FNR == 1 { depth = 0; block = -1 }
    /^---/ { depth = 0; next }
    {
      match($0, /^ */); n = RLENGTH
      if (block >= 0 && (n > block || $0 ~ /^[ \t]*$/)) next
      block = -1
      if ($0 ~ /^[ \t]*(#.*)?$/) next
      handle(n, substr($0, n + 1))
    }
    BEGIN { block = -1; depth = 0 }
  ' "$@"
}

# app_source_prefix FILE PATHS: where, in FILE's yaml_paths PATHS, the Application source that
# holds the chart is: spec.source, or the item of spec.sources with a chart or a path (not the
# `ref: values` one).
app_source_prefix() {
  local prefix
  prefix="$(awk -F '\t' '
    $1 ~ /^spec\.source\.(chart|path)$/ { print "spec.source"; exit }
    $1 ~ /^spec\.sources\.[0-9]+\.(chart|path)$/ { sub(/\.(chart|path)$/, "", $1); print $1; exit }
  ' <<<"$2")"
  [[ -n "${prefix}" ]] || die "${1#"${REPO_ROOT}/"}: no source with a chart or a path"
  printf '%s\n' "${prefix}"
}
