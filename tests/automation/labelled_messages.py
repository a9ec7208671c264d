"""Realistic customer messages (Indonesian, English, slang, typos) with the labels a person
would give them under the default rule set. Used to measure precision and recall per label.

Three sets: **tuning** (the lists below and ``intent_messages.csv``'s ``tune`` rows: the
keyword lists were grown on these), **held out** (the CSV's ``held`` rows: written in the same
sitting as the new tuning rows, before the lists grew, never tuned on one by one — but by the
same author, whose vocabulary was in view: read its figures as optimistic), and **fresh** (the
CSV's ``fresh`` rows: written after the tuning ended, measured once, not tuned on; the honest
figure for messages nobody has seen).
"""

from __future__ import annotations

import csv
from pathlib import Path

PP, PB, SP, BY, KR, KL = (
    "Pertanyaan Produk",
    "Pesanan Baru",
    "Status Pesanan",
    "Pembayaran",
    "Pengiriman",
    "Keluhan",
)

LABELLED: list[tuple[str, set[str]]] = [
    ("Halo kak, gamis ukuran L masih ada?", {PP}),
    ("Warna navy ya kak", {PP}),
    ("Pesanan saya #10023 sudah dikirim belum ya?", {SP}),
    ("Kak, bisa COD ke Bekasi?", {KR, BY}),
    ("Ongkirnya berapa?", {KR}),
    ("psnan sy blm smpe kak, udh 5 hari", {KR, KL}),
    ("Terima kasih kak, bajunya bagus banget 😍", set()),
    ("Promo Lebaran masih berlaku?", {PP}),
    ("brp hrg tas yg coklat?", {PP}),
    ("mau pesen 2 pcs yg hitam ya kak", {PB}),
    ("sudah tf ya kak, ini buktinya", {BY}),
    ("No rekening BCA nya berapa kak?", {BY}),
    ("Barang yang saya terima rusak, kardusnya penyok", {KL}),
    ("Kok salah kirim sih, saya pesan warna merah yang datang biru", {KL}),
    ("Resinya mana min?", {SP}),
    ("Kapan pesanan saya dikirim?", {SP}),
    ("Bisa kirim ke Makassar? pakai JNE", {KR}),
    ("Is this dress available in size M?", {PP}),
    ("How much is the shipping to Surabaya?", {KR}),
    ("I want to order 3 pieces of the blue shirt", {PB}),
    ("Where is my order? It's been a week", {SP}),
    ("My package arrived damaged, I want a refund", {KL}),
    ("Can I pay with bank transfer?", {BY}),
    ("Selamat pagi", set()),
    ("ok kak makasih", set()),
    ("Saya kecewa banget, pelayanannya lambat", {KL}),
    ("paket blm nyampe jg nih, udah seminggu", {KR, KL}),
    ("bahannya apa kak? adem gak?", {PP}),
    ("Bisa bayar pakai QRIS?", {BY}),
    ("Saya mau order yang ini kak", {PB}),
    ("kak ready stok ga?", {PP}),
    ("Ada ukuran XL?", {PP}),
    ("Estimasi pengiriman ke Medan berapa hari?", {KR}),
    ("Sudah saya transfer Rp150.000 ke rekening Mandiri", {BY}),
    ("pembayran nya lewat apa aja kak", {BY}),
    ("pengirman pakai kurir apa?", {KR}),
    ("status pesanan INV-2041 gimana kak?", {SP}),
    ("Barangnya tidak sesuai dengan foto, mau retur", {KL}),
    ("Tolong dicek, pesanan saya sudah diproses belum?", {SP}),
    ("Mau beli 1 lusin buat seragam kantor", {PB}),
    ("Harga grosir berapa ya?", {PP}),
    ("Do you ship to Malaysia?", {KR}),
    ("I haven't received my order yet", {KR, KL}),
    ("Payment done, please check", {BY}),
    ("The product is broken, very disappointed", {KL}),
    ("Ada diskon untuk pembelian banyak?", {PP}),
    ("Tracking number please", {SP}),
    ("Sudah checkout di keranjang ya kak", {PB}),
    ("min, jam brp tokonya buka?", set()),
    ("Lokasi tokonya dimana?", set()),
    ("Kak saya komplain, sudah 3 kali chat tidak dibalas", {KL}),
    ("Barang udh diterima, mantap kak", set()),
    ("Pakai kurir SiCepat bisa?", {KR}),
    ("uangnya kapan dikembalikan? refund saya belum masuk", {KL}),
    ("Warna lain ada kak? yang pink", {PP}),
    ("Saya pesan ini ya kak", {PB}),
    ("Bisa dicicil pakai kartu kredit?", {BY}),
    ("Kok lama banget sih pengirimannya", {KR, KL}),
    ("kak, paket saya posisinya dimana ya?", {SP}),
    ("Can I get the catalog?", {PP}),
    ("What colours do you have for this bag?", {PP}),
    ("saya mau ambil 2 yang navy", {PB}),
    ("Kurirnya kasar dan paketnya sobek", {KR, KL}),
    ("Thank you so much!", set()),
    ("udh bayar via gopay ya", {BY}),
    ("order sy kpn dikirim?", {SP}),
    ("Ini produk original kan kak? ada garansi?", {PP}),
    ("Halo, saya mau tanya", set()),
    ("Ongkos kirim ke Bali berapa kak", {KR}),
    ("Barang cacat, jahitannya lepas semua", {KL}),
    ("Saya mau PO yang model terbaru", {PB}),
    ("Sudah sampai kak, makasih", set()),
    ("barangnya rusakkk, gmn nih min", {KL}),
    ("mau tanya, stoknya msh ada?", {PP}),
    ("Kpn dkirim kak? sy udh byr", {SP, BY}),
    ("Saya sudah bayar tapi pesanan belum diproses", {BY, SP}),
    ("Is the price negotiable?", {PP}),
    ("Pengiriman ke luar pulau bisa?", {KR}),
]

# Written after the keyword lists were tuned on LABELLED, and not tuned on: an honest check.
HELD_OUT: list[tuple[str, set[str]]] = [
    ("kak gamis yg kmrn msh ready?", {PP}),
    ("Berapa harga kemeja batik ukuran XXL?", {PP}),
    ("saya mau pesan 5 kaos polos", {PB}),
    ("order 2 ya kak, warna hitam semua", {PB, PP}),
    ("udah transfer ke BRI ya min", {BY}),
    ("bisa bayar pake shopeepay?", {BY}),
    ("pesanan sy udh dikirim blm?", {SP}),
    ("nomor resinya berapa kak", {SP}),
    ("paketnya ga sampe2 udah 10 hari", {KR, KL}),
    ("barang yg dtg beda sama di foto, kecewa", {KL}),
    ("Kirim pakai J&T bisa kak?", {KR}),
    ("ongkir ke Bandung brp?", {KR}),
    ("Hi, do you have this in red?", set()),
    ("I'd like to buy two of these", {PB}),
    ("When will my order be shipped?", {SP}),
    ("The zipper is broken", {KL}),
    ("Do you accept credit card payment?", {BY}),
    ("What are the delivery options to Jakarta?", {KR}),
    ("makasih ya kak, udah sampai dengan selamat", set()),
    ("Permisi, toko buka hari Minggu?", set()),
    ("kak sy mau retur, ukurannya kekecilan", {KL, PP}),
    ("Tolong proses pesanan saya secepatnya", {SP}),
    ("ada promo ongkir gak kak?", {KR, PP}),
    ("Saya belum terima barangnya padahal status sudah diterima", {KR, KL}),
]


CODES = {"PP": PP, "PB": PB, "SP": SP, "BY": BY, "KR": KR, "KL": KL}


def _csv(split: str) -> list[tuple[str, set[str]]]:
    path = Path(__file__).with_name("intent_messages.csv")
    with path.open(encoding="utf-8") as fh:
        return [
            (row["text"], {CODES[c] for c in row["labels"].split("+") if c})
            for row in csv.DictReader(fh)
            if row["split"] == split
        ]


TUNING: list[tuple[str, set[str]]] = LABELLED + HELD_OUT + _csv("tune")
HELD: list[tuple[str, set[str]]] = _csv("held")
FRESH: list[tuple[str, set[str]]] = _csv("fresh")
