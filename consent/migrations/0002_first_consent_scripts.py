"""The portal's first consent scripts, in French and English, after the network's suggested script.

Rerunnable: a script that already has a version is left alone. The reverse removes nothing (records
point to these versions).
"""

from django.db import migrations

SCRIPTS = {
    ("telehealth", "fr"): (
        "Tout ce qui sera échangé pendant notre rencontre virtuelle est confidentiel. La télésanté utilise des "
        "technologies sécurisées et reconnues, mais toute communication numérique comporte des risques pour la "
        "vie privée. Vous pouvez aider à les réduire en vous installant dans un endroit où la confidentialité "
        "peut être préservée. Cette rencontre ne sera pas enregistrée et ne servira à aucune autre fin que vos "
        "soins. Si la vidéo ne fonctionne pas, je vous appellerai au numéro convenu. Me dites-vous que vous "
        "comprenez et que vous acceptez de recevoir ces soins par téléconsultation?"
    ),
    ("telehealth", "en"): (
        "Everything shared during our virtual meeting is confidential. Telehealth uses secure and certified "
        "technologies, but any digital communication carries privacy risks. You can help reduce them by being "
        "in a place where confidentiality can be kept. This meeting will not be recorded nor used for any "
        "purpose other than your care. If the video fails, I will call you at the number we agreed on. Do you "
        "understand, and do you agree to receive this care by teleconsultation?"
    ),
    ("recording", "fr"): (
        "Nous aimerions enregistrer cette rencontre pour l'enseignement ou pour le dossier. L'enregistrement sera "
        "conservé uniquement dans le répertoire sécurisé du professionnel et ne sera utilisé à aucune autre fin. "
        "Vous pouvez refuser sans que vos soins en soient touchés. Acceptez-vous que la rencontre soit "
        "enregistrée?"
    ),
    ("recording", "en"): (
        "We would like to record this meeting for teaching or for the record. The recording will be kept only "
        "in the professional's secure repository and used for no other purpose. You may refuse without any "
        "effect on your care. Do you agree that the meeting be recorded?"
    ),
    ("personal_email", "fr"): (
        "Nous pouvons vous envoyer des documents à votre adresse courriel personnelle. Attention : l'envoi à une "
        "adresse personnelle pourrait ne pas être sécurisé, et d'autres personnes ayant accès à votre "
        "messagerie pourraient les lire. Acceptez-vous de recevoir des documents à cette adresse?"
    ),
    ("personal_email", "en"): (
        "We can send documents to your personal email address. Warning: sending to a personal address may not "
        "be secure, and other people with access to your mailbox could read them. Do you agree to receive "
        "documents at this address?"
    ),
}


def add_first_versions(apps, schema_editor):
    ConsentScript = apps.get_model("consent", "ConsentScript")
    for (kind, language), text in SCRIPTS.items():
        if not ConsentScript.objects.filter(kind=kind, language=language).exists():
            ConsentScript.objects.create(kind=kind, language=language, version=1, text=text)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_consent_scripts_and_records")]

    operations = [migrations.RunPython(add_first_versions, migrations.RunPython.noop)]
