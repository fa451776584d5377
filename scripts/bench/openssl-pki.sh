#!/usr/bin/env bash
# Peer baseline for the benchmark: kubeadm's whole PKI (3 CAs, 7 serving/client leaves, the
# service-account key, and the 5 kubeconfig client certificates) made with the openssl CLI,
# one process per step, as a shell script would do it.
# usage: openssl-pki.sh DIR rsa|ecdsa NODE_NAME ADVERTISE_IP
set -euo pipefail
dir=$1 alg=$2 node=$3 ip=$4
mkdir -p "$dir/etcd" "$dir/kubeconfig"
cd "$dir"

genkey() {
    if [ "$alg" = rsa ]; then
        openssl genrsa -traditional -out "$1" 2048 2>/dev/null
    else
        openssl ecparam -name prime256v1 -genkey -noout -out "$1"
    fi
}

ca() { # base CN
    genkey "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" -out "$1.crt" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
        -addext "subjectKeyIdentifier=hash" -addext "subjectAltName=DNS:$2"
}

leaf() { # base ca subject eku san
    local base=$1 ca=$2 subj=$3 eku=$4 san=$5
    genkey "$base.key"
    openssl req -new -key "$base.key" -subj "$subj" -out "$base.csr"
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$eku"
        echo "authorityKeyIdentifier=keyid"
        if [ -n "$san" ]; then echo "subjectAltName=$san"; fi
    } > "$base.ext"
    openssl x509 -req -in "$base.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -sha256 -days 365 \
        -extfile "$base.ext" -out "$base.crt" 2>/dev/null
    rm -f "$base.csr" "$base.ext"
}

ca ca kubernetes
ca front-proxy-ca front-proxy-ca
ca etcd/ca etcd-ca
api_san="DNS:$node,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:$ip"
etcd_san="DNS:$node,DNS:localhost,IP:$ip,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
leaf apiserver ca "/CN=kube-apiserver" serverAuth "$api_san"
leaf apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth ""
leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth ""
leaf etcd/server etcd/ca "/CN=$node" serverAuth,clientAuth "$etcd_san"
leaf etcd/peer etcd/ca "/CN=$node" serverAuth,clientAuth "$etcd_san"
leaf etcd/healthcheck-client etcd/ca "/CN=kube-etcd-healthcheck-client" clientAuth ""
leaf apiserver-etcd-client etcd/ca "/CN=kube-apiserver-etcd-client" clientAuth ""
genkey sa.key
openssl pkey -in sa.key -pubout -out sa.pub
leaf kubeconfig/admin ca "/O=kubeadm:cluster-admins/CN=kubernetes-admin" clientAuth ""
leaf kubeconfig/super-admin ca "/O=system:masters/CN=kubernetes-super-admin" clientAuth ""
leaf kubeconfig/kubelet ca "/O=system:nodes/CN=system:node:$node" clientAuth ""
leaf kubeconfig/controller-manager ca "/CN=system:kube-controller-manager" clientAuth ""
leaf kubeconfig/scheduler ca "/CN=system:kube-scheduler" clientAuth ""
rm -f ./*.srl etcd/*.srl
chmod 600 ./*.key etcd/*.key kubeconfig/*.key
