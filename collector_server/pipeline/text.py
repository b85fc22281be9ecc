"""Words of a report as grouping compares them: English and Russian, stemmed, in one vocabulary.

Text is NFKC-normalised and casefolded, split into words (letters and digits), and each word is
reduced to its Snowball stem (English for Latin script, Russian for Cyrillic), so "saving",
"saved" and "saves" are one term, and so are "сохраняются" and "сохранить". Stop words,
numbers, hex ids and very long tokens (hashes, base64) carry no meaning for grouping and are
dropped. Identifiers in pasted code and logs are split too: ``saveSettings`` and
``save_settings`` both give "save" and "set".

A small bilingual lexicon maps the Russian stems of the words bug reports use most (save,
settings, button, sign in, payment, page, error, ...) onto their English stems, so that "не
сохраняются настройки" and "settings are not saved" share terms. It is a bridge for the
commonest words, not a translator: the other signals (route, failing request, error messages,
clicked element) carry cross-language twins the rest of the way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL = re.compile(r"[a-z]+|[A-Z][a-z]+|[A-Z]+(?![a-z])|[0-9]+|[^\W\d_a-zA-Z]+", re.UNICODE)
_HEXISH = re.compile(r"^(?:0x[0-9a-f]+|(?=[0-9a-f]*\d)[0-9a-f]{6,})$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MAX_WORD = 30

_EN = Stemmer.Stemmer("english")
_RU = Stemmer.Stemmer("russian")

_STOP_TEXT = """
a an the and or but if of to in on at by for with from is are was were be been being it its
this that these those as not no nor do does did done have has had i we you he she they them my
our your their me us him her there here which who whom what when where why how can could should
would will shall may might must so than then too very also just into out up down over under
about after before again only own same such am any all both each few more most other some s t d
ll m re ve get got gets getting please thanks thank hi hello one when while и в во не что он на
я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще
нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж
вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам
чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним
здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец
два об другой хоть после над больше тот через эти нас про всего них какая много разве три эту
моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно
всю между это пожалуйста спасибо здравствуйте
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Russian stems -> English stems, for the words bug reports use most. Keys are Snowball
# Russian stems (see _stem); values are Snowball English stems.
_LEXICON = {
    "сохран": "save",
    "сохранен": "save",
    "сохраня": "save",
    "загружа": "load",
    "отправля": "send",
    "удаля": "delet",
    "отображ": "display",
    "отобража": "display",
    "показыва": "show",
    "показ": "show",
    "настройк": "set",
    "настро": "set",
    "параметр": "set",
    "кнопк": "button",
    "нажат": "click",
    "нажима": "click",
    "нажал": "click",
    "клик": "click",
    "вход": "login",
    "войт": "login",
    "логин": "login",
    "авториз": "login",
    "выход": "logout",
    "парол": "password",
    "оплат": "pay",
    "плат": "pay",
    "платеж": "payment",
    "карт": "card",
    "заказ": "order",
    "корзин": "cart",
    "страниц": "page",
    "экра": "screen",
    "экран": "screen",
    "ошибк": "error",
    "ошибок": "error",
    "файл": "file",
    "загрузк": "load",
    "загруж": "load",
    "загруз": "load",
    "скача": "download",
    "скачива": "download",
    "выгруз": "upload",
    "отправ": "send",
    "отправк": "send",
    "письм": "email",
    "почт": "email",
    "уведомлен": "notif",
    "поиск": "search",
    "найт": "find",
    "удал": "delet",
    "удален": "delet",
    "изменен": "chang",
    "измен": "chang",
    "редактирован": "edit",
    "открыва": "open",
    "откр": "open",
    "открыт": "open",
    "закрыва": "close",
    "закр": "close",
    "печат": "print",
    "прилож": "app",
    "приложен": "app",
    "работа": "work",
    "работ": "work",
    "пуст": "empti",
    "завис": "hang",
    "зависа": "hang",
    "вылета": "crash",
    "вылет": "crash",
    "пада": "crash",
    "пад": "crash",
    "медлен": "slow",
    "тормоз": "slow",
    "данн": "data",
    "пользовател": "user",
    "аккаунт": "account",
    "учетн": "account",
    "профил": "profil",
    "регистрац": "regist",
    "ссылк": "link",
    "изображен": "imag",
    "картинк": "imag",
    "фот": "photo",
    "видео": "video",
    "звук": "sound",
    "язык": "languag",
    "дат": "date",
    "врем": "time",
    "обновлен": "updat",
    "обнов": "updat",
    "обновля": "updat",
    "сообщен": "messag",
    "окн": "window",
    "форм": "form",
    "пол": "field",
    "спис": "list",
    "список": "list",
    "таблиц": "tabl",
    "отчет": "report",
    "экспорт": "export",
    "импорт": "import",
    "подписк": "subscript",
    "цен": "price",
    "скидк": "discount",
    "товар": "product",
    "адрес": "address",
    "телефон": "phone",
    "номер": "number",
    "код": "code",
    "безопасн": "secur",
    "доступ": "access",
    "меню": "menu",
    "вкладк": "tab",
    "тем": "theme",
    "темн": "dark",
    "шрифт": "font",
    "текст": "text",
    "прокрутк": "scroll",
    "мобильн": "mobil",
    "браузер": "browser",
    "сервер": "server",
    "сет": "network",
    "интернет": "network",
}


def _words(text: str) -> Iterator[str]:
    """Words and identifier parts, casefolded (``saveSettings`` -> save, settings), lazily:
    a caller that wants the first 50 terms of a long description reads no further."""
    for match in _WORD.finditer(unicodedata.normalize("NFKC", text)):
        token = match.group()
        parts = _CAMEL.findall(token) if not token.islower() else [token]
        if len(parts) > 1:
            yield from (part.casefold() for part in parts)
        else:
            yield token.casefold()


@lru_cache(maxsize=65536)
def _term(word: str) -> str | None:
    """The term of one casefolded word, or None for a stop word, a number, an id or noise."""
    cyrillic = _CYRILLIC.search(word) is not None
    if (len(word) < 2 and not cyrillic) or len(word) > MAX_WORD or word in STOP_WORDS:
        return None
    if word.isdigit() or _HEXISH.match(word):
        return None
    if cyrillic:
        stem: str = _RU.stemWord(word)
        return _LEXICON.get(stem, stem)
    english: str = _EN.stemWord(word)
    return english


def terms(text: str, limit: int | None = None) -> list[str]:
    """The stemmed terms of ``text`` in order, stop words, numbers and ids left out; the first
    ``limit`` of them when given."""
    out: list[str] = []
    for word in _words(text):
        term = _term(word)
        if term is None:
            continue
        out.append(term)
        if limit is not None and len(out) >= limit:
            break
    return out


def weighted_terms(
    title: str, description: str, *, title_weight: float, description_terms: int
) -> dict[str, float]:
    """Term weights of a report: each title term counts ``title_weight``, each of the first
    ``description_terms`` terms of the description counts 1 (the start of a description says
    what happened; what follows is mostly pasted logs and steps, which dilute it)."""
    weights: dict[str, float] = {}
    for term in terms(title):
        weights[term] = weights.get(term, 0.0) + title_weight
    for term in terms(description, description_terms):
        weights[term] = weights.get(term, 0.0) + 1.0
    return weights
