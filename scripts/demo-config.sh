#!/usr/bin/env bash
# Writes the demo's config file: kubeadm's defaults plus a pod subnet (Flannel needs one) and
# a PluginConfiguration enabling the example plugins, each pinned by its sha256.
# usage: demo-config.sh PLUGIN_DIR > kubeadm-demo.yaml
set -euo pipefail
dir=$1
pin() { sha256sum "$dir/$1.wasm" | cut -d' ' -f1; }
cat <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubeadm-rs.io/v1alpha1
kind: PluginConfiguration
pluginDir: $dir
plugins:
- name: net-sysctls
  source: {name: net_sysctls}
  sha256: $(pin net_sysctls)
  grants:
    sysctls: [net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, net.ipv6.conf.all.forwarding, net.bridge.bridge-nf-call-ip6tables]
  onFailure: warn
- name: kernel-modules
  source: {name: kernel_modules}
  sha256: $(pin kernel_modules)
  onFailure: warn
- name: min-resources
  source: {name: min_resources}
  sha256: $(pin min_resources)
  parameters: {min-cpus: "2", min-memory: 1700Mi}
- name: flannel
  source: {name: flannel}
  sha256: $(pin flannel)
  grants:
    clusterApply:
    - {kind: Namespace}
    - {kind: ServiceAccount, namespaces: [kube-flannel]}
    - {kind: ClusterRole}
    - {kind: ClusterRoleBinding}
    - {kind: ConfigMap, namespaces: [kube-flannel]}
    - {kind: DaemonSet, namespaces: [kube-flannel]}
  parameters: {backend: vxlan}
YAML
