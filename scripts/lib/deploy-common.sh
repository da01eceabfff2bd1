# shellcheck shell=bash
# Shared by deploy-stg.sh and deploy-prod.sh. Sourced after the caller has set REPO_ROOT,
# ENV_SHORT, NAMESPACE, ARGOCD_NAMESPACE, APPS_DIR, COMMON_VALUES, DRY_RUN and APPS.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

chart_dir() {
  case "$1" in
    ingress) printf '%s/helm/ingress\n' "${REPO_ROOT}" ;;
    *) printf '%s/helm/applications/%s\n' "${REPO_ROOT}" "$1" ;;
  esac
}

apply_manifest() {
  if [[ "${DRY_RUN}" == "true" ]]; then
    kubectl apply --dry-run=server -f "$1"
  else
    kubectl apply -f "$1"
  fi
}

preflight() {
  log "Pre-flight checks"
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed"
  kubectl cluster-info >/dev/null 2>&1 || die "cannot reach the cluster (check your kubeconfig)"
  kubectl get namespace "${ARGOCD_NAMESPACE}" >/dev/null 2>&1 \
    || die "namespace ${ARGOCD_NAMESPACE} not found: install Argo CD first"
  kubectl get crd applications.argoproj.io >/dev/null 2>&1 \
    || die "the Argo CD Application CRD is missing"
  local app
  for app in "${APPS[@]}"; do
    [[ -f "${APPS_DIR}/${app}-${ENV_SHORT}.yaml" ]] \
      || die "missing ${APPS_DIR}/${app}-${ENV_SHORT}.yaml"
  done
}

# validate_charts required|optional: the pre-merge gate, run again before deploying.
# platecheck renders every Application of this environment as Argo CD will and checks the
# policies; without it, each chart is at least linted and rendered with helm.
validate_charts() {
  local requirement="$1"
  if command -v platecheck >/dev/null 2>&1; then
    log "Checking the ${ENV_SHORT} Applications with platecheck"
    platecheck lint "${REPO_ROOT}/environments" --env "${ENV_SHORT}" \
      || die "platecheck found problems in ${ENV_SHORT}: fix them before deploying"
    return 0
  fi
  if ! command -v helm >/dev/null 2>&1; then
    [[ "${requirement}" == "required" ]] \
      && die "platecheck or helm is required to validate the ${ENV_SHORT} charts"
    warn "neither platecheck nor helm is installed: skipping chart validation"
    return 0
  fi
  log "Validating charts with the ${ENV_SHORT} values (helm only; install platecheck for the policies)"
  local app chart
  for app in "${APPS[@]}"; do
    chart="$(chart_dir "${app}")"
    helm lint --strict "${chart}" -f "${COMMON_VALUES}" -f "${chart}/values-${ENV_SHORT}.yaml" \
      >/dev/null || die "helm lint failed for ${chart}"
    helm template "${app}-${ENV_SHORT}" "${chart}" --namespace "${NAMESPACE}" \
      -f "${COMMON_VALUES}" -f "${chart}/values-${ENV_SHORT}.yaml" >/dev/null \
      || die "helm template failed for ${chart}"
  done
}
