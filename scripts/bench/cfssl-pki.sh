#!/usr/bin/env bash
# Peer baseline for the benchmark: the same PKI as openssl-pki.sh made with cfssl (Go's crypto,
# as kubeadm uses). usage: cfssl-pki.sh DIR rsa|ecdsa NODE_NAME ADVERTISE_IP
set -euo pipefail
dir=$1 alg=$2 node=$3 ip=$4
mkdir -p "$dir/etcd" "$dir/kubeconfig"
cd "$dir"
if [ "$alg" = rsa ]; then key='{"algo":"rsa","size":2048}'; else key='{"algo":"ecdsa","size":256}'; fi
cat > signing.json <<JSON
{"signing":{"default":{"expiry":"8760h"},"profiles":{
 "server":{"usages":["digital signature","key encipherment","server auth"],"expiry":"8760h"},
 "client":{"usages":["digital signature","key encipherment","client auth"],"expiry":"8760h"},
 "peer":{"usages":["digital signature","key encipherment","server auth","client auth"],"expiry":"8760h"}}}}
JSON

ca() { # base CN
    echo "{\"CN\":\"$2\",\"key\":$key,\"ca\":{\"expiry\":\"87600h\"}}" | cfssl gencert -initca - 2>/dev/null | cfssljson -bare "$1"
    mv "$1.pem" "$1.crt"; mv "$1-key.pem" "$1.key"; rm -f "$1.csr"
}

leaf() { # base ca profile CN O hosts-json
    local o=""
    [ -n "$5" ] && o=",\"names\":[{\"O\":\"$5\"}]"
    echo "{\"CN\":\"$4\",\"key\":$key,\"hosts\":$6$o}" |
        cfssl gencert -ca "$2.crt" -ca-key "$2.key" -config signing.json -profile "$3" - 2>/dev/null | cfssljson -bare "$1"
    mv "$1.pem" "$1.crt"; mv "$1-key.pem" "$1.key"; rm -f "$1.csr"
}

ca ca kubernetes
ca front-proxy-ca front-proxy-ca
ca etcd/ca etcd-ca
leaf apiserver ca server kube-apiserver "" "[\"$node\",\"kubernetes\",\"kubernetes.default\",\"kubernetes.default.svc\",\"kubernetes.default.svc.cluster.local\",\"10.96.0.1\",\"$ip\"]"
leaf apiserver-kubelet-client ca client kube-apiserver-kubelet-client kubeadm:cluster-admins "[]"
leaf front-proxy-client front-proxy-ca client front-proxy-client "" "[]"
leaf etcd/server etcd/ca peer "$node" "" "[\"$node\",\"localhost\",\"$ip\",\"127.0.0.1\",\"::1\"]"
leaf etcd/peer etcd/ca peer "$node" "" "[\"$node\",\"localhost\",\"$ip\",\"127.0.0.1\",\"::1\"]"
leaf etcd/healthcheck-client etcd/ca client kube-etcd-healthcheck-client "" "[]"
leaf apiserver-etcd-client etcd/ca client kube-apiserver-etcd-client "" "[]"
echo "{\"CN\":\"sa\",\"key\":$key}" | cfssl genkey - 2>/dev/null | cfssljson -bare sa
mv sa-key.pem sa.key; rm -f sa.csr
leaf kubeconfig/admin ca client kubernetes-admin kubeadm:cluster-admins "[]"
leaf kubeconfig/super-admin ca client kubernetes-super-admin system:masters "[]"
leaf kubeconfig/kubelet ca client "system:node:$node" system:nodes "[]"
leaf kubeconfig/controller-manager ca client system:kube-controller-manager "" "[]"
leaf kubeconfig/scheduler ca client system:kube-scheduler "" "[]"
rm -f signing.json
chmod 600 ./*.key etcd/*.key kubeconfig/*.key
