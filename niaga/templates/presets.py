"""Templates to start from, after the guide's "Contoh Pesan Promosi", in Bahasa Indonesia and
English: short, clear, personal, and ending in a call to action."""

from __future__ import annotations

from niaga.channels.template_definition import (
    QuickReplyButton,
    TemplateDefinition,
    UrlButton,
)

# Stands for this Niaga's public address: :func:`niaga.templates.authoring.presets` puts the
# real one in, so a preset's link button is a tracked campaign link (/l/<code>).
BASE = "https://niaga.invalid"

PRESETS: dict[str, dict[str, TemplateDefinition]] = {
    "discount": {
        "id": TemplateDefinition(
            name="promo_diskon",
            language="id",
            category="MARKETING",
            header="text",
            header_text="Promo spesial untuk Anda",
            body=(
                "Hai {{nama}}! Dapatkan diskon 20% untuk {{produk}} hingga {{tanggal}}. "
                "Jangan sampai kehabisan, stok terbatas!"
            ),
            footer="Balas BERHENTI untuk berhenti menerima promo",
            buttons=[
                UrlButton(
                    text="Belanja sekarang",
                    url=f"{BASE}/l/{{{{1}}}}",
                    sample=f"{BASE}/l/lebaran",
                ),
                QuickReplyButton(text="Berhenti promo"),
            ],
            samples={"nama": "Siti", "produk": "gamis navy", "tanggal": "31 Desember"},
        ),
        "en": TemplateDefinition(
            name="promo_discount",
            language="en",
            category="MARKETING",
            header="text",
            header_text="A special offer for you",
            body=(
                "Hi {{name}}! Get 20% off {{product}} until {{date}}. "
                "Stock is limited, so don't miss out!"
            ),
            footer="Reply STOP to stop promotions",
            buttons=[
                UrlButton(
                    text="Shop now",
                    url=f"{BASE}/l/{{{{1}}}}",
                    sample=f"{BASE}/l/year-end",
                ),
                QuickReplyButton(text="Stop promotions"),
            ],
            samples={"name": "Siti", "product": "the navy gamis", "date": "31 December"},
        ),
    },
    "new_arrival": {
        "id": TemplateDefinition(
            name="produk_baru",
            language="id",
            category="MARKETING",
            body=(
                "Halo {{nama}}, koleksi baru kami sudah datang: {{produk}}. "
                "Lihat pilihannya dan pesan langsung lewat chat ini ya!"
            ),
            footer="Balas BERHENTI untuk berhenti menerima promo",
            buttons=[
                QuickReplyButton(text="Lihat koleksi"),
                QuickReplyButton(text="Berhenti promo"),
            ],
            samples={"nama": "Budi", "produk": "kemeja batik tulis"},
        ),
        "en": TemplateDefinition(
            name="new_arrival",
            language="en",
            category="MARKETING",
            body=(
                "Hello {{name}}, our new collection has arrived: {{product}}. "
                "Take a look and order right here in this chat!"
            ),
            footer="Reply STOP to stop promotions",
            buttons=[
                QuickReplyButton(text="See collection"),
                QuickReplyButton(text="Stop promotions"),
            ],
            samples={"name": "Budi", "product": "hand-drawn batik shirts"},
        ),
    },
    "order_reminder": {
        "id": TemplateDefinition(
            name="pengingat_pesanan",
            language="id",
            category="UTILITY",
            body=(
                "Halo {{nama}}, pesanan {{nomor}} Anda masih menunggu pembayaran sebesar "
                "{{total}}. Balas chat ini jika butuh bantuan, kami siap membantu."
            ),
            buttons=[QuickReplyButton(text="Sudah bayar"), QuickReplyButton(text="Butuh bantuan")],
            samples={"nama": "Rina", "nomor": "#10023", "total": "Rp150.000"},
        ),
        "en": TemplateDefinition(
            name="order_reminder",
            language="en",
            category="UTILITY",
            body=(
                "Hello {{name}}, your order {{number}} is still waiting for a payment of "
                "{{total}}. Reply to this chat if you need any help."
            ),
            buttons=[QuickReplyButton(text="I have paid"), QuickReplyButton(text="I need help")],
            samples={"name": "Rina", "number": "#10023", "total": "Rp150.000"},
        ),
    },
}
