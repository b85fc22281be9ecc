// The UI's words, in English and Russian. The language: options.lang, else <html lang>, else
// navigator.language ("ru…" is Russian, anything else English). Any key can be overridden with
// options.strings: {key: "text"} for every language, or {en: {...}, ru: {...}} per language.
// Stored as one list of keys and, per language, one text per line in the same order (the most
// compact form after gzip); {name} is filled in where it appears.
import { D, isObj } from "./util.js";

const KEYS =
  "launcher description descriptionHint title email optional required category bug idea question impact blocks_work annoying cosmetic choose screenshot take upload remove capturing shotFailed highlight hide undo clear canvasLabel toolbar review reviewHint show i_description i_title i_user i_category i_fields i_url i_env i_logs i_actions i_network i_error send cancel sending errRequired errEmail errForm untitled sent savedOffline savedLater failed reportId close fixedIn fixed wontFix rate star comment rateSend rateNeeded rateFailed thanks dismiss".split(
    " ",
  );

const EN = `Report a bug
What happened?
What did you do, what did you expect, and what happened instead?
Short title
Email for a reply
optional
required
What is it?
Something is broken
An idea
A question
How bad is it?
It blocks my work
It's annoying
It's cosmetic
Choose…
Screenshot
Take screenshot
Upload an image
Remove screenshot
Taking the screenshot…
The screenshot could not be taken. You can upload an image instead.
Highlight
Hide
Undo
Clear
The screenshot; drag on it to highlight or hide a part
Screenshot tools
Review what will be sent
Uncheck anything you'd rather not send.
Show
Description
Title
About you
Type and impact
Other details
Page address
Browser and device
Console messages
Recent actions
Failed requests
Error on the page
Send
Cancel
Sending…
Please fill in this field.
Please enter an email address like name@example.com.
Please correct the marked fields.
Report without a description
Thank you! Your report has been sent.
Saved on this device; it will be sent when you're back online.
Saved on this device; it will be sent as soon as the server can be reached.
Sorry, the report could not be sent.
Report ID
Close
Your report “{title}” was fixed in {version}.
Your report “{title}” was fixed.
We looked into your report “{title}” and decided not to change this for now.
How did we do?
{n} of 5
Comment
Send rating
Please choose a rating.
The rating could not be sent. Please try again later.
Thank you for your feedback!
Dismiss`;

const RU = `Сообщить об ошибке
Что случилось?
Что вы делали, чего ожидали и что произошло на самом деле?
Кратко, о чём речь
Почта для ответа
необязательно
обязательно
Что это?
Что-то сломалось
Идея
Вопрос
Насколько это мешает?
Не могу работать дальше
Мешает, но терпимо
Мелочь, только внешний вид
Выберите…
Снимок экрана
Сделать снимок экрана
Загрузить изображение
Удалить снимок
Делаем снимок…
Не получилось сделать снимок экрана. Можно загрузить изображение.
Выделить
Скрыть
Отменить
Очистить
Снимок экрана; проведите по нему, чтобы выделить или скрыть часть
Инструменты снимка
Что будет отправлено
Снимите отметку с того, чем не хотите делиться.
Показать
Описание
Заголовок
О вас
Тип и важность
Дополнительно
Адрес страницы
Браузер и устройство
Сообщения консоли
Последние действия
Неудачные запросы
Ошибка на странице
Отправить
Отмена
Отправляем…
Заполните это поле.
Проверьте адрес: он должен выглядеть как name@example.com.
Исправьте отмеченные поля.
Обращение без описания
Спасибо! Сообщение отправлено.
Сохранено на этом устройстве. Отправим, как только появится интернет.
Сохранено на этом устройстве. Отправим, как только сервер станет доступен.
К сожалению, сообщение не удалось отправить.
Номер обращения
Закрыть
Проблему из вашего обращения «{title}» исправили в версии {version}.
Проблему из вашего обращения «{title}» исправили.
Мы разобрались с вашим обращением «{title}» и пока решили ничего не менять.
Как мы справились?
{n} из 5
Комментарий
Оценить
Выберите оценку.
Не удалось отправить оценку. Попробуйте позже.
Спасибо за отзыв!
Закрыть уведомление`;

const table = (text) => Object.fromEntries(KEYS.map((k, i) => [k, text.split("\n")[i]]));

/** [lang, strings] for the options. */
export function strings(o) {
  const lang = /^ru/i.test(o.lang || D.documentElement.lang || navigator.language || "") ? "ru" : "en";
  const over = isObj(o.strings) ? o.strings : {};
  const t = table(lang == "ru" ? RU : EN);
  t.heading = t.launcher;
  Object.assign(t, isObj(over[lang]) ? over[lang] : {});
  for (const k in over) if (typeof over[k] == "string") t[k] = over[k];
  return [lang, t];
}

/** A label given as a string or as {en, ru}. */
export const local = (v, lang) => (isObj(v) ? v[lang] || v.en || Object.values(v)[0] || "" : v == null ? "" : String(v));
