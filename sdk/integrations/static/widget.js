(()=>{var nt="input:not([type=button]):not([type=submit]):not([type=reset]):not([type=checkbox]):not([type=radio]):not([type=range]),textarea,select,[contenteditable]:not([contenteditable=false]),[data-bugrelay-mask]",n={o:{},t:{},lang:"en",u:null,user:null,att:[],mask:nt,ex:new Set,logs:[],actions:[],network:[],errors:[],exc:null};var h=window,g=document,S=()=>new Date().toISOString(),G=()=>performance.now(),be=0,w=()=>"br"+ ++be,p=(t,e)=>(t=t==null?"":String(t),t.length>e?t.slice(0,e-1)+"…":t),R=(t,e,o)=>{t.push(e),t.length>o&&t.shift()},_=t=>{for(let e in t)(t[e]==null||t[e]==="")&&delete t[e];return t},v=t=>t&&typeof t=="object",$=t=>Object.keys(t||{});function s(t,e,...o){let r=g.createElement(t);t=="button"&&(r.type="button");for(let a in e){let i=e[a];i==null||i===!1||(typeof i=="function"?r.addEventListener(a.slice(2),i):r.setAttribute(a,i===!0?"":i))}return r.append(...o.flat(9).filter(a=>a!=null&&a!==!1)),r}function P(t){if(typeof t=="string")return t;if(t instanceof Error){let e=String(t);return t.stack?t.stack.startsWith(e)?t.stack:e+`
`+t.stack:e}if(t instanceof Node)return"<"+(t.nodeName||"").toLowerCase()+">";if(v(t)){let e=new WeakSet,o=0;try{let r=JSON.stringify(t,(a,i)=>{if(!(++o>300)){if(typeof i=="bigint")return String(i);if(v(i)){if(e.has(i))return"[Circular]";e.add(i)}return i}});if(r!=null)return p(r,1e3)}catch{}}try{return p(String(t),1e3)}catch{return"?"}}var ye=/token|key|secret|pass(word)?|auth|session|sig(nature)?|code|jwt|api[-_]?key|access/i;function E(t){let e=String(t??"");try{let o=new URL(e,location.href);o.username=o.password="",e=o.href}catch{}return p(e.replace(/([?&#;])([^=&#;?]*)=([^&#;?]*)/g,(o,r,a)=>{let i=a;try{i=decodeURIComponent(a)}catch{}return ye.test(i)?r+a+"=[Filtered]":o}),2048)}var kt=()=>crypto.randomUUID?crypto.randomUUID():"10000000-1000-4000-8000-100000000000".replace(/[018]/g,t=>(t^crypto.getRandomValues(new Uint8Array(1))[0]&15>>t/4).toString(16)),K=(t,e)=>t.replace(/\{(\w+)\}/g,(o,r)=>e[r]??""),N=(t,e)=>setTimeout(()=>{try{t()}catch{}},e);var xe=100;function A(t,e,o,r){let a={timestamp:S(),category:t,message:p(e,2e3),level:o};r&&(a.data=r),R(n.actions,a,xe)}var ve="a,button,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[role=checkbox],[onclick]";function we(t){let e=[];for(let o=0;t&&t.nodeType==1&&o<5;o++,t=t.parentElement){if(t.id){e.unshift("#"+CSS.escape(t.id));break}let r=t.localName,a=r+[...t.classList].slice(0,2).map(c=>"."+CSS.escape(c)).join(""),i=t.parentElement;if(i){let c=[...i.children].filter(d=>d.localName==r);c.length>1&&(a+=`:nth-of-type(${c.indexOf(t)+1})`)}if(e.unshift(a),r=="body")break}return p(e.join(" > "),500)}function ke(t){let e=n.mask+",input[type=password]";if(t.closest(e)||t.querySelector(e))return"";let o=t.getAttribute("aria-label")||(/^(input|select|textarea)$/.test(t.localName)?"":t.textContent);return p((o||"").trim().replace(/\s+/g," "),60)}function St(){g.addEventListener("click",t=>{try{let e=t.target;if(!(e instanceof Element)||e==n.host)return;let o=e.closest(ve)||e,r=ke(o);A("ui.click",we(o),"info",r?{text:r}:null)}catch{}},!0)}var Et={log:"info",info:"info",warn:"warning",error:"error",debug:"debug"},rt=!1;function _t(){for(let t in Et){let e=console[t];typeof e=="function"&&(console[t]=function(...o){if(!rt){rt=!0;try{R(n.logs,{timestamp:S(),level:Et[t],logger:"console",message:p(o.map(P).join(" "),2e3)},100)}catch{}rt=!1}return e.apply(this,o)})}}var X=g.currentScript||{},it=String(X.src||"").split(/[?#]/)[0];function at(){let t={},e=X.dataset||{};for(let o in e)t[o]={false:!1,true:!0}[e[o]]??e[o];return t.statusInterval&&(t.statusInterval=+t.statusInterval),X.nonce&&(t.nonce=X.nonce),t}function Ct(t){let e,o="",r;if(t.endpoint)r=e=new URL(String(t.endpoint).replace(/\/+$/,""),location.href).href;else if(t.dsn){let a=new URL(t.dsn),i=a.pathname.replace(/\/+$/,"").split("/"),c=i.pop();r=it.replace(/[^/]*$/,"")||a.origin+i.join("/"),e=`${a.origin}${i.join("/")}/api/v1/projects/${c}`,o="?key="+a.username}else return null;return{report:e+(t.endpoint?"/report":"/reports"+o),status:a=>`${e}/reports/${a}/status${o}`,rating:a=>`${e}/reports/${a}/rating${o}`,clientReport:`${e}/client-report${o}`,chunk:r.replace(/\/?$/,"/")+"widget-screenshot.js",cred:t.endpoint?"same-origin":"omit"}}var Se=/^\s*at (?:async )?(?:(.+?) \()?(.+?):(\d+):\d+\)?$/,Ee=/^(.*?)@(.+?):(\d+):\d+$/,st=t=>String(t).split(/[?#]/)[0],Lt=st(it).replace(/[^/]*$/,""),Rt=t=>t.startsWith(location.origin+"/")&&!(Lt&&st(t).startsWith(Lt)&&/\/widget(-screenshot)?\.js$/.test(st(t)));function _e(t){let e=String(t||"").split(`
`),o=e.some(a=>/^\s+at /.test(a))?Se:Ee,r=[];for(let a of e){let i=o.exec(a);if(!i)continue;let c={file:p(E(i[2]),500),line:+i[3],in_app:Rt(i[2])};i[1]&&(c.function=p(i[1],500)),r.push(c)}return r.reverse().slice(-100)}function Ot(t,e,o,r,a){let i="Error",c,d="";v(t)&&"message"in t?(i=String(t.name||i),c=String(t.message),d=String(t.stack||"")):a?(i="UnhandledRejection",c=P(t)):c=String(e||P(t)).replace(/^Uncaught (\w*Error: )?/,"");let u={type:p(i,100),value:p(c,2e3),handled:!1,frames:_e(d)};d?u.stack=p(d,2e3):o&&(u.frames=[{file:p(E(o),500),line:+r||0,in_app:Rt(o)}]),n.exc&&R(n.errors,{type:n.exc.type,value:p(n.exc.value,200),timestamp:n.excAt},10),n.exc=u,n.excAt=S(),A("error",`${u.type}: ${u.value}`,"error")}function $t(){h.addEventListener("error",t=>{try{t instanceof ErrorEvent&&Ot(t.error,t.message,t.filename,t.lineno)}catch{}}),h.addEventListener("unhandledrejection",t=>{try{Ot(t.reason,"","",0,!0)}catch{}})}var ct=location.href;function lt(){try{let t=location.href;if(t==ct)return;let e=E(ct);ct=t,A("navigation",E(t),"info",{from:e,to:E(t)})}catch{}}function At(){for(let t of["pushState","replaceState"]){let e=history[t];typeof e=="function"&&(history[t]=function(){let o=e.apply(this,arguments);return lt(),o})}h.addEventListener("popstate",lt),h.addEventListener("hashchange",lt)}var D=h.fetch&&h.fetch.bind(h);function dt(t,e,o,r,a){try{let i=p(String(t||"GET").toUpperCase(),16),c=E(e),d={timestamp:S(),method:i,url:c,status:o,duration_ms:Math.round(G()-r)};o==null&&(d.error=p(a||"network error",2e3)),R(n.network,d,50),A("http",`${i} ${c} ${o??d.error}`,o==null||o>=500?"error":"warning",{method:i,url:c,status:o})}catch{}}function jt(){let t=h.fetch;t&&(h.fetch=function(i,c){let d=G(),u,x;try{u=c&&c.method||i&&i.method||"GET",x=i&&i.url!=null?i.url:i}catch{}return t.apply(this,arguments).then(l=>(l.status>=400&&dt(u,x,l.status,d),l),l=>{throw l&&l.name=="AbortError"||dt(u,x,null,d,l&&(l.message||String(l))),l})});let e=h.XMLHttpRequest&&XMLHttpRequest.prototype;if(!e)return;let o=new WeakMap,r=e.open,a=e.send;e.open=function(i,c){try{o.set(this,[i,String(c)])}catch{}return r.apply(this,arguments)},e.send=function(){try{let i=this,c=o.get(i);if(c){let d=G(),u;for(let x of["error","timeout","abort"])i.addEventListener(x,()=>u=x);i.addEventListener("loadend",()=>{u!="abort"&&(i.status>=400||!i.status)&&dt(c[0],c[1],i.status||null,d,u||"failed")})}}catch{}return a.apply(this,arguments)}}var Y=navigator,J={};function Dt(){Y.userAgentData.getHighEntropyValues(["platformVersion","fullVersionList","model"]).then(t=>J=t,()=>{})}var Ce="Edg:Edge OPR:Opera Firefox FxiOS:Firefox CriOS:Chrome Chrome Version:Safari",Le=[[/(?:iPhone|CPU) OS ([\d_]+)/,"iOS"],[/Android ([\d.]+)/,"Android"],[/Windows NT ([\d.]+)/,"Windows"],[/Mac OS X ([\d_.]+)/,"macOS"],[/CrOS/,"ChromeOS"],[/Linux/,"Linux"]];function Z(){let t=Y.userAgent,e=Y.userAgentData,o=l=>l&&p(l,100),r,a,i,c,d,u;if(e){let l=(J.fullVersionList||e.brands).filter(f=>!/not.?a.?brand/i.test(f.brand)),b=l.find(f=>f.brand!="Chromium")||l[0]||{};r=b.brand&&b.brand.replace(/^(Google|Microsoft) /,""),a=b.version,i=(l.find(f=>f.brand=="Chromium")||{}).version,c=e.platform,d=J.platformVersion}for(let l of Ce.split(" ")){let[b,f]=l.split(":");!r&&(u=t.match(b+"/([\\d.]+)"))&&(r=f||b,a=u[1])}for(let[l,b]of Le)!c&&(u=t.match(l))&&(c=b,d=u[1]&&u[1].replace(/_/g,"."));let x;try{x=Intl.DateTimeFormat().resolvedOptions().timeZone}catch{}return{browser:_({name:o(r),version:o(a),user_agent:p(t,500),viewport:{width:h.innerWidth|0,height:h.innerHeight|0},screen:{width:screen.width|0,height:screen.height|0},pixel_ratio:h.devicePixelRatio||1,language:o(Y.language),timezone:o(x),url:E(location.href),referrer:g.referrer&&E(g.referrer)}),os:_({name:o(c),version:o(d)}),device:_({family:e&&e.mobile||/Mobi|iPhone/.test(t)?"mobile":/iPad|Tablet|Android/.test(t)?"tablet":"desktop",model:o(J.model)}),runtime:_({name:i?"Chrome":o(r),version:o(i||a)})}}function Tt(){let t=performance.getEntriesByType("navigation")[0],e=o=>o>0?Math.round(o):void 0;return t&&_({ttfb_ms:e(t.responseStart),dom_content_loaded_ms:e(t.domContentLoadedEventEnd),load_ms:e(t.loadEventEnd),transfer_size:t.transferSize})}var Oe="launcher description descriptionHint title email optional required category bug idea question impact blocks_work annoying cosmetic choose screenshot take upload remove capturing shotFailed highlight hide undo clear canvasLabel toolbar review reviewHint show i_description i_title i_user i_category i_fields i_url i_env i_logs i_actions i_network i_error send cancel sending errRequired errEmail errForm untitled sent savedOffline savedLater failed reportId close fixedIn fixed wontFix rate star comment rateSend rateNeeded rateFailed thanks dismiss".split(" "),Re=`Report a bug
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
Dismiss`,$e=`Сообщить об ошибке
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
Закрыть уведомление`,Ae=t=>Object.fromEntries(Oe.map((e,o)=>[e,t.split(`
`)[o]]));function Ft(t){let e=/^ru/i.test(t.lang||g.documentElement.lang||navigator.language||"")?"ru":"en",o=v(t.strings)?t.strings:{},r=Ae(e=="ru"?$e:Re);r.heading=r.launcher,Object.assign(r,v(o[e])?o[e]:{});for(let a in o)typeof o[a]=="string"&&(r[a]=o[a]);return[e,r]}var Q=(t,e)=>v(t)?t[e]||t.en||Object.values(t)[0]||"":t==null?"":String(t);var Ut="bugrelay.reports",It=["fixed","wont_fix"];function ut(){try{let t=JSON.parse(localStorage.getItem(Ut));return Array.isArray(t)?t:[]}catch{return[]}}function O(t,e){try{let o=ut(),r=o.findIndex(a=>a.id==t);e===null?r>=0&&o.splice(r,1):r>=0?Object.assign(o[r],e):e.title!=null&&o.push({id:t,rated:!1,...e}),localStorage.setItem(Ut,JSON.stringify(o.slice(-20)))}catch{}}async function qt(){let t=(n.o.statusInterval??600)*1e3;for(let e of ut()){if(navigator.onLine===!1)break;if(!(It.includes(e.status)||Date.now()-(Date.parse(e.checked_at)||0)<t))try{let o=await D(n.u.status(e.id),{credentials:n.u.cred}),r={checked_at:S()};if(o.ok){let a=await o.json();r.status=a.status,r.fixed_in=a.fixed_in}O(e.id,r)}catch{}}return ut().find(e=>It.includes(e.status)&&!e.rated&&!e.dismissed)}var C=new Map,je,Nt=!1,ft,pt,Mt=50,De=14*864e5;function Te(){return je||=new Promise((t,e)=>{let o=indexedDB.open("bugrelay",1);o.onupgradeneeded=()=>o.result.createObjectStore("outbox",{keyPath:"id"}),o.onsuccess=()=>t(o.result),o.onerror=()=>e(o.error)}).then(t=>(Nt=!0,t),()=>null)}async function gt(t,e){try{let o=await Te();return o?await new Promise((r,a)=>{let i=o.transaction("outbox",t),c=e(i.objectStore("outbox"));i.oncomplete=()=>r(c.result),i.onerror=i.onabort=()=>a(i.error)}):void 0}catch{}}var Wt=t=>(C.set(t.id,t),gt("readwrite",e=>e.put(t))),mt=t=>(C.delete(t),gt("readwrite",e=>e.delete(t)));function Bt(t){let e=new FormData;return e.append("report",new Blob([t.json],{type:"application/json"}),"report.json"),t.blob&&e.append("file",t.blob,"screenshot.png"),e}var zt=t=>navigator.locks?navigator.locks.request("bugrelay-outbox",t):t();function Fe(t,e){let o=t.attempts=(t.attempts||0)+1,r=e&&(isNaN(e)?Date.parse(e)-Date.now():e*1e3);r>0||(r=Math.min(2e3*2**(o-1),3e5)*(.75+Math.random()/2)),t.next_at=Date.now()+Math.min(r,864e5)}var Ie=t=>new URL(t,location.href).origin==location.origin;function Ht(t){try{D(n.u.clientReport,{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify({discarded:{[t]:1}}),credentials:n.u.cred,keepalive:!0}).catch(()=>{})}catch{}}async function bt(t){let e,o=new AbortController,r=setTimeout(()=>o.abort(),3e4);try{e=await D(t.url,{method:"POST",body:Bt(t),credentials:Ie(t.url)?"same-origin":"omit",signal:o.signal})}catch{}clearTimeout(r);let a=e?e.status:0;if(a==200||a==202)return await mt(t.id),O(t.id,{status:"received"}),{ok:1};if(a>=400&&a<500&&a!=408&&a!=429){if(t.blob)return t.blob=null,bt(t);await mt(t.id),O(t.id,null),Ht("rejected");let i;try{let c=await e.json();i=c.error&&(c.error.code||c.error)}catch{}return{fail:a,error:i}}return Fe(t,e&&e.headers.get("Retry-After")),await Wt(t),{retry:1}}async function Vt(t,e,o,r){let a={id:t,url:e,json:o,blob:r,attempts:0,next_at:0,created_at:Date.now()};await Wt(a);let i={retry:1};try{i=await zt(()=>C.has(t)?bt(a):{ok:1})}catch{}return Gt(),i}async function W(){if(!pt){pt=!0,clearTimeout(ft);try{await zt(async()=>{let t=await gt("readonly",o=>o.getAll());if(Nt&&t){C.clear();for(let o of t)C.set(o.id,o)}let e=[...C.values()].sort((o,r)=>r.created_at-o.created_at);for(let[o,r]of e.entries())(o>=Mt||Date.now()-r.created_at>De)&&(await mt(r.id),Ht(o>=Mt?"spool_full":"expired"));for(let o of[...C.values()])(o.next_at||0)<=Date.now()&&navigator.onLine!==!1&&await bt(o)})}catch{}pt=!1,Gt()}}function Gt(){if(clearTimeout(ft),!C.size)return;let t=Math.min(...[...C.values()].map(e=>e.next_at||0));ft=N(W,Math.max(t-Date.now(),1e3))}var ht=!1;function Pt(){if(!(ht||!navigator.sendBeacon)){ht=!0;for(let t of C.values())try{navigator.sendBeacon(t.url,Bt(t))}catch{}}}function Kt(){h.addEventListener("online",W),h.addEventListener("pagehide",Pt),g.addEventListener("visibilitychange",()=>g.visibilityState=="hidden"?Pt():ht=!1),N(W,1e3)}var Xt=`
:host{all:initial;--a:var(--bugrelay-accent,#1d4ed8);--o:var(--bugrelay-accent-fg,#fff);--b:var(--bugrelay-bg,#fff);--f:var(--bugrelay-fg,#1b1b1f);--m:#595962;--e:#b3261e;--r:var(--bugrelay-radius,10px);font:15px/1.45 var(--bugrelay-font,system-ui,sans-serif);color:var(--f)}
@media (prefers-color-scheme:dark){:host{--a:var(--bugrelay-accent,#9ab8ff);--o:var(--bugrelay-accent-fg,#0b1530);--b:var(--bugrelay-bg,#1d1e22);--f:var(--bugrelay-fg,#ececf1);--m:#b4b4bd;--e:#ffb4ab}}
:host([hidden]),[hidden],.e:empty{display:none!important}
*{box-sizing:border-box;font:inherit;color:inherit}
dialog,.n{color-scheme:light dark;background:var(--b);border:1px solid var(--m);border-radius:var(--r);box-shadow:0 8px 32px #0005;padding:20px}
dialog{width:min(34rem,100vw - 1rem);max-height:calc(100vh - 1rem)}
dialog::backdrop{background:#0008}
h2{font-size:19px;font-weight:700;margin:0}
label,legend{display:block;padding:0}
label,legend,summary{font-weight:600;margin:14px 0 4px}
legend{margin-top:0}
summary{cursor:pointer}
fieldset{border:0;padding:0;margin:14px 0 0;min-width:0}
.o,.row,.f,.st{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
.o label,li label,.row label{display:inline;font-weight:400;margin:0 0 0 6px}
.row .u{font-weight:600;margin:0}
.h,.q,.v{color:var(--m);font-size:13px;font-weight:400;margin:2px 0}
.e{color:var(--e);margin:4px 0 0}
input,textarea,select{width:100%;padding:8px;background:var(--b);border:1px solid var(--m);border-radius:calc(var(--r)/2)}
[type=checkbox],[type=radio]{accent-color:var(--a);width:18px;height:18px;margin:0}
[aria-invalid=true]{border:2px solid var(--e)}
button,.u{padding:8px 14px;border:1px solid var(--m);border-radius:calc(var(--r)/2);background:var(--b);cursor:pointer;font-weight:600;margin:0}
.p{background:var(--a);border-color:var(--a);color:var(--o)}
:focus-visible,.s:focus-visible+label{outline:3px solid var(--a);outline-offset:2px}
.s{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.f{justify-content:flex-end;margin-top:16px}
img,canvas{max-width:100%;display:block}
ul{list-style:none;margin:0;padding:0}
.v{margin-left:24px;overflow-wrap:anywhere}
pre{white-space:pre-wrap;max-height:12em;overflow:auto;font:12px ui-monospace,monospace}
.v img{max-height:100px}
.l,.n{position:fixed;right:16px;bottom:16px;z-index:var(--bugrelay-z,2147483000)}
.l{border-radius:99px}
.n{bottom:72px;width:min(24rem,100vw - 2rem);padding-right:44px}
.n h2{font-size:16px}
.x{position:absolute;top:8px;right:8px;border:0;font-size:20px;padding:0 8px}
.st label{margin:0;font-size:28px;color:var(--m)}
.st .on{color:var(--a)}
`;function Yt(t,e){try{let o=new CSSStyleSheet;o.replaceSync(Xt),t.adoptedStyleSheets=[...t.adoptedStyleSheets,o]}catch{t.append(s("style",{nonce:e},Xt))}}var T=t=>t==null||t===""?void 0:p(t,100);function Jt(t){let e=n.t,o=m=>!n.ex.has(m),r=o("description")?t.description.trim():"",a=o("title")&&t.title.trim()||(r?p(r.split(`
`)[0].trim(),80):""),i={id:n.id,schema_version:1,created_at:S(),kind:t.category=="bug"?"bug":"feedback",title:p(a||e.untitled,200)};r&&(i.description=p(r,1e4));let c={},d={};if(o("category")&&(d.category=t.category,t.category=="bug"&&t.impact&&(i.impact=t.impact)),o("user")){let m=n.user||{},y=_({id:T(m.id),email:p(t.email.trim(),254),name:T(m.name),plan:T(m.plan),segment:T(m.segment)});$(y).length&&(i.user=y)}let u=_({release:T(n.o.release),environment:T(n.o.environment)});$(u).length&&(i.app=u);let x=Z(),{url:l,referrer:b,...f}=x.browser;if(o("env")&&(Object.assign(i,x,{browser:f}),c.page_load=Tt()),o("url")&&(i.browser=_({...i.browser,url:l,referrer:b})),o("actions")&&(i.actions=n.actions.filter(m=>(m.category!="error"||o("error"))&&(m.category!="http"||o("network")))),o("logs")&&(i.logs=n.logs.slice()),o("network")&&(i.network=n.network.slice()),o("error")&&n.exc&&(i.exception=n.exc,n.errors.length&&(c.errors=n.errors.slice())),o("fields")){let m={};for(let y of $(t.fields)){let k=t.fields[y];k&&(m[y]=k,$(d).length<50&&(d[p(y,32)]=p(k,200)))}$(m).length&&(c.custom_fields=m)}$(d).length&&(i.tags=d),_(c),$(c).length&&(i.extra=c);for(let m of["actions","logs","network"])i[m]&&!i[m].length&&delete i[m];return i.sdk={name:"bugrelay.widget",version:"0.0.0"},i}var tt,xt,Zt,yt;function Qt(t){return Zt=t,xt=s("ul",{part:"preview"}),tt=s("details",{part:"review",ontoggle:F},s("summary",{},n.t.review),s("p",{class:"h"},n.t.reviewHint),xt)}var te=t=>tt.contains(t);function F(){if(!tt||!tt.open)return;let t=n.t,e=Zt(),o=n.user||{},r=Z(),a=r.browser,i=[],c=(l,b,f)=>i.push([l,b,f]),d=(l,b)=>l.filter(f=>f).join(b||", ");c("description",p(e.description.trim(),300)||"—"),e.title.trim()&&c("title",e.title.trim());let u=d([e.email.trim(),o.name,o.id]);u&&c("user",u),c("category",d([t[e.category],e.category=="bug"&&t[e.impact]]));let x=(n.o.fields||[]).filter(l=>l&&e.fields[l.name]);if(x.length&&c("fields",d(x.map(l=>`${Q(l.label,n.lang)||l.name}: ${e.fields[l.name]}`),"; ")),n.shot){let l=s("img",{alt:t.screenshot});n.shot.toBlob().then(b=>{yt&&URL.revokeObjectURL(yt),l.src=yt=URL.createObjectURL(b)}),c("screenshot",l)}c("url",a.url),c("env",d([d([a.name,a.version]," "),d([r.os.name,r.os.version]," "),r.device.family,a.viewport.width+"×"+a.viewport.height,a.language,a.timezone]," · ")),c("logs",0,n.logs.map(l=>`${l.level}: ${l.message}`)),c("actions",0,n.actions.map(l=>`${l.category}: ${l.message}${l.data&&l.data.text?` “${l.data.text}”`:""}`)),c("network",0,n.network.map(l=>`${l.method} ${l.url} → ${l.status??l.error}`)),n.exc&&c("error",`${n.exc.type}: ${n.exc.value}`),xt.replaceChildren(...i.filter(([,,l])=>!l||l.length).map(([l,b,f])=>{let m=w(),y=f?` (${f.length})`:"";return s("li",{part:"preview-item-"+l},s("input",{type:"checkbox",id:m,part:"preview-include-"+l,checked:!n.ex.has(l),onchange:k=>n.ex[k.target.checked?"delete":"add"](l)}),s("label",{for:m},(t["i_"+l]||t[l])+y),s("div",{class:"v"},f?s("details",{},s("summary",{},t.show+y),s("pre",{},f.join(`
`))):b))}))}var ee;function oe(){let t=()=>h.__bugrelayScreenshot;return t()?Promise.resolve(t()):ee||=new Promise((e,o)=>{let r=s("script",{src:n.u.chunk,nonce:n.o.nonce});r.onload=()=>t()?e(t()):o(),r.onerror=o,(g.head||g.documentElement).append(r)}).catch(e=>{throw ee=null,e})}var ne=t=>new Promise(e=>t.toBlob(e,"image/png"));async function re(t,e){let o=await createImageBitmap(t),r=s("canvas");return e||=Math.min(1,4096/Math.max(o.width,o.height)),r.width=o.width*e,r.height=o.height*e,r.getContext("2d").drawImage(o,0,0,r.width,r.height),r}async function ie(t){for(;t&&t.size>5e6;)t=await ne(await re(t,.7));return t}function ae(){let t=n.t,e=s("p",{class:"h",part:"screenshot-status","aria-live":"polite"}),o=s("div",{part:"screenshot-editor"}),r=w(),a=s("button",{part:"screenshot",onclick:l},t.take),i=s("input",{type:"file",accept:"image/*",id:r,class:"s",part:"screenshot-upload",onchange:b}),c=s("button",{part:"screenshot-remove",hidden:!0,onclick:()=>(u(),a.focus())},t.remove),d=f=>e.textContent=f||"";function u(){n.shot&&n.shot.destroy(),n.shot=null,o.replaceChildren(),i.value="",c.hidden=!0,d(),F()}async function x(f){u();let m;try{m=(await oe()).editor(f,o,{highlight:t.highlight,hide:t.hide,undo:t.undo,clear:t.clear,canvasLabel:t.canvasLabel,toolbar:t.toolbar})}catch{o.append(s("img",{src:f.toDataURL(),alt:t.screenshot}))}n.shot=m||{toBlob:()=>ne(f),destroy(){}},c.hidden=!1,(o.querySelector("button")||c).focus(),F()}async function l(){let f=n.dlg,m;d(t.capturing);try{let y=await oe();n.cap=!0,f.close(),n.host.hidden=!0,await new Promise(k=>requestAnimationFrame(()=>requestAnimationFrame(k))),m=await Promise.race([y.capture({exclude:n.host,mask:n.mask}),new Promise((k,j)=>setTimeout(j,2e4))])}catch{}if(n.host.hidden=n.cap=!1,f.open||f.showModal(),d(),m)return x(m);d(t.shotFailed),i.focus()}async function b(){try{i.files[0]&&await x(await re(i.files[0]))}catch{d(t.shotFailed)}}return n.clearShot=u,s("fieldset",{part:"screenshot-section"},s("legend",{},t.screenshot),s("div",{class:"row"},a,i,s("label",{for:r,class:"u"},t.upload),c),o,e)}var q,ot,z,U,B,I=t=>q.elements.namedItem(t),ce=t=>s("span",{class:"q"},` (${t?n.t.required:n.t.optional})`),vt=()=>(n.o.fields||[]).filter(t=>v(t)&&t.name);function et(t,e,o,r,a){let i=s("p",{class:"e",id:w(),part:e+"-error"}),c=a&&s("p",{class:"h",id:w()},a),d=s("label",{for:t.id=w()},o,ce(r));return t.name=e,t.setAttribute("part",e),t.setAttribute("aria-describedby",(c?c.id+" ":"")+i.id),r&&(t.required=!0,t.setAttribute("aria-required","true")),ot.push([t,i]),t.addEventListener("input",()=>{i.textContent&&(t.type=="checkbox"?t.checked:t.value.trim())&&!t.validity.typeMismatch&&(i.textContent="",t.removeAttribute("aria-invalid"))}),t.type=="checkbox"?s("div",{class:"row"},t,d,i):s("div",{},d,c,t,i)}var se=(t,e,o,r)=>s("fieldset",{part:t},s("legend",{},e,t=="impact"&&ce()),s("div",{class:"o"},o.map((a,i)=>s("span",{},s("input",{type:"radio",name:t,value:a,id:i=w(),part:`${t}-${a}`,checked:a==r}),s("label",{for:i},n.t[a])))));function Ue(t){let e=r=>Q(r,n.lang),o=t.type=="select"?s("select",{},s("option",{value:""},n.t.choose),(t.options||[]).map(r=>v(r)?s("option",{value:r.value},e(r.label)||r.value):s("option",{},r))):s("input",t.type=="checkbox"?{type:"checkbox"}:{type:"text",maxlength:200});return et(o,"field-"+t.name,e(t.label)||t.name,t.required)}function le(){let t=Object.fromEntries(new FormData(q)),e={};for(let o of vt()){let r=t["field-"+o.name];e[o.name]=o.type=="checkbox"?!!r:(r||"").trim()}return{description:t.description||"",title:t.title||"",email:t.email||"",category:t.category||"bug",impact:t.impact,fields:e}}function qe(){let t;for(let[e,o]of ot){let r=e.required&&!(e.type=="checkbox"?e.checked:e.value.trim())?n.t.errRequired:e.validity.typeMismatch?n.t.errEmail:"";o.textContent=r,r?e.setAttribute("aria-invalid","true"):e.removeAttribute("aria-invalid"),t||=r&&e}return z.textContent=t?n.t.errForm:"",t&&t.focus(),!t}async function Me(t){if(t.preventDefault(),n.busy||!qe())return;let e=n.t;n.busy=!0,U.setAttribute("aria-disabled","true"),U.textContent=e.sending;try{let o=Jt(le());if(typeof n.o.beforeSend=="function")try{let i=n.o.beforeSend(o);if(i===null||i===!1)return n.afterSend();v(i)&&(o=i)}catch{}let r=null;try{n.shot&&!n.ex.has("screenshot")&&(r=await ie(await n.shot.toBlob()))}catch{}O(o.id,{title:o.title,sent_at:o.created_at,status:"pending"});let a=await Vt(o.id,n.u.report,JSON.stringify(o),r);a.fail?z.textContent=`${e.failed} (${a.fail}${a.error?", "+a.error:""})`:n.afterSend(o.id,a.ok?e.sent:navigator.onLine===!1?e.savedOffline:e.savedLater)}finally{n.busy=!1,U.removeAttribute("aria-disabled"),U.textContent=e.send}}function de(){q.reset();for(let[t,e]of ot)e.textContent="",t.removeAttribute("aria-invalid");z.textContent="",n.clearShot(),n.ex.clear(),n.id=null,q.querySelector("details").open=B.hidden=!1}function ue(t){t=v(t)?t:{};let e=v(t.fields)?t.fields:{};for(let o of["description","title","email","category","impact"])t[o]!=null&&(I(o).value=t[o]);!I("email").value&&n.user&&n.user.email&&(I("email").value=n.user.email);for(let o of vt()){let r=I("field-"+o.name);o.name in e&&(r.type=="checkbox"?r.checked=!!e[o.name]:r.value=e[o.name])}B.hidden=I("category").value!="bug"}function pe(t){let e=n.t;return ot=[],z=s("p",{class:"e",role:"alert",part:"form-error"}),U=s("button",{type:"submit",class:"p",part:"send"},e.send),B=se("impact",e.impact,["blocks_work","annoying","cosmetic"]),q=s("form",{novalidate:!0,part:"form",onsubmit:Me,onchange:o=>{B.hidden=I("category").value!="bug",te(o.target)||F()}},et(s("textarea",{maxlength:1e4,rows:5}),"description",e.description,!0,e.descriptionHint),et(s("input",{maxlength:200}),"title",e.title),et(s("input",{type:"email",maxlength:254,autocomplete:"email"}),"email",e.email),se("category",e.category,["bug","idea","question"],"bug"),B,vt().map(Ue),ae(),Qt(le),z,s("div",{class:"f"},s("button",{part:"cancel",onclick:t},e.cancel),U)),q}var Pe="button,input,select,textarea,summary,[tabindex='0']";function fe(){n.host&&n.host.remove(),n.dlg=n.launcher=null;let t=n.host=s("bugrelay-widget",{lang:n.lang}),e=n.root=t.attachShadow({mode:"open"});Yt(e,n.o.nonce),n.o.button!==!1&&e.append(n.launcher=s("button",{class:"l p",part:"launcher","aria-haspopup":"dialog",onclick:()=>V(null,n.launcher)},n.t.launcher)),g.documentElement.append(t)}function Ne(){let t=g.activeElement;for(;t&&t.shadowRoot&&t.shadowRoot.activeElement;)t=t.shadowRoot.activeElement;return t}function We(t){if(t.key!="Tab")return;let e=[...n.dlg.querySelectorAll(Pe)].filter(i=>i.getClientRects().length),o=e[0],r=e[e.length-1],a=n.root.activeElement;(t.shiftKey?a==o||!e.includes(a):a==r)&&(t.preventDefault(),(t.shiftKey?r:o).focus())}function Be(){let t=n.t,e=w(),o=s("p",{tabindex:"-1",part:"done-message"}),r=s("input",{readonly:!0,id:w(),part:"report-id"}),a=s("div",{part:"done",hidden:!0},o,s("label",{for:r.id},t.reportId),r,s("div",{class:"f"},s("button",{class:"p",part:"close",onclick:H},t.close))),i=pe(H),c=n.dlg=s("dialog",{role:"dialog","aria-modal":"true","aria-labelledby":e,part:"dialog",onkeydown:We},s("h2",{id:e},t.heading),i,a);c.addEventListener("close",()=>{if(n.cap||c.open)return;let d=n.opener;d&&d.isConnected&&d.focus&&d.focus()}),n.afterSend=(d,u)=>{if(n.sent=!0,!d)return H();o.textContent=u,r.value=d,i.hidden=!0,a.hidden=!1,c.open&&o.focus()},n.showForm=()=>{n.sent=!1,de(),i.hidden=!1,a.hidden=!0},n.root.append(c)}function V(t,e){!n.u||!n.host||(n.dlg||Be(),!n.dlg.open&&(n.sent&&n.showForm(),n.opener=e||Ne(),n.id||=kt(),ue(t),n.dlg.showModal(),n.dlg.querySelector("textarea").focus()))}function H(){n.dlg&&n.dlg.open&&n.dlg.close()}function me(t){let e=n.t,o=w(),r=w(),a="score"+o,i=[],c=s("p",{role:"status",part:"notice-status"}),d=s("textarea",{id:r,rows:2,maxlength:2e3,part:"rating-comment"}),u=s("button",{class:"x",part:"notice-dismiss","aria-label":e.dismiss,onclick:()=>(O(t.id,{dismissed:!0}),f.remove())},"×"),x=s("div",{class:"st"},[1,2,3,4,5].map(y=>{let k=w(),j=s("label",{for:k,title:K(e.star,{n:y})},s("span",{"aria-hidden":"true"},"★"),s("span",{class:"s"},K(e.star,{n:y})));return i.push(j),[s("input",{type:"radio",class:"s",name:a,value:y,id:k,part:"rating-"+y,onchange:()=>i.forEach((M,ge)=>M.classList.toggle("on",ge<y),c.textContent="")}),j]})),l=s("form",{part:"rating",onsubmit:m},s("fieldset",{},s("legend",{},e.rate),x),s("label",{for:r},e.comment,s("span",{class:"q"},` (${e.optional})`)),d,s("div",{class:"f"},s("button",{type:"submit",class:"p",part:"rating-send"},e.rateSend))),b=K(t.status=="fixed"?t.fixed_in?e.fixedIn:e.fixed:e.wontFix,{title:t.title,version:t.fixed_in}),f=s("section",{class:"n",part:"notice","aria-labelledby":o},s("h2",{id:o},b),l,c,u);async function m(y){y.preventDefault();let k=+l.elements.namedItem(a).value;if(!k)return c.textContent=e.rateNeeded,l.querySelector("input").focus();let j={score:k};d.value.trim()&&(j.comment=d.value.trim());try{let M=await D(n.u.rating(t.id),{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify(j),credentials:n.u.cred});if(M.status==201||M.status==409)return O(t.id,{rated:!0}),l.remove(),c.textContent=e.thanks,u.focus()}catch{}c.textContent=e.rateFailed}n.root.append(f)}var L=t=>(...e)=>{try{return t(...e)}catch{}},he=!1,wt=[],ze=t=>n.host?t():wt.push(t);function He(t){let e=n.o.shortcut===void 0?"alt+shift+b":n.o.shortcut;if(!e||!n.u||t.repeat)return;let o=String(e).toLowerCase().split("+"),r=o.pop();["alt","shift","ctrl","meta"].every(a=>t[a+"Key"]==o.includes(a))&&(t.key.toLowerCase()==r||t.code.toLowerCase()=="key"+r||t.code=="Digit"+r)&&(t.preventDefault(),V())}function Ve(t){let e=t.target;if(e instanceof Element)for(let o of n.att){let r=typeof o=="string"?e.closest(o):o&&o.contains&&o.contains(e)&&o;if(r)return t.preventDefault(),V(null,r)}}function Ge(t){let e=n.o={...at(),...n.o,...v(t)?t:{}};[n.lang,n.t]=Ft(e),n.mask=nt+(e.mask?","+e.mask:""),e.user!==void 0&&(n.user=v(e.user)?{...e.user}:null),e.attach&&!n.att.includes(e.attach)&&n.att.push(e.attach);try{n.u=Ct(e)}catch{n.u=null}if(!n.u)return console.warn("BugRelay: init needs a valid dsn or endpoint");he?W():(he=!0,h.addEventListener("keydown",L(He),!0),g.addEventListener("click",L(Ve),!0),Kt());let o=L(()=>{fe(),wt.forEach(L(r=>r())),wt=[],N(async()=>{let r=await qt();r&&n.host&&me(r)},2e3)});g.readyState=="loading"?g.addEventListener("DOMContentLoaded",o,{once:!0}):o()}if(!(h.BugRelay&&h.BugRelay.version)){for(let e of[_t,$t,St,At,jt,Dt])L(e)();h.BugRelay={version:"0.0.0",init:L(Ge),open:L(e=>ze(()=>V(e))),close:L(H),setUser:L(e=>n.user=v(e)?{...e}:null),attach:L(e=>{e&&n.att.push(e)})};let t=at();(t.dsn||t.endpoint)&&h.BugRelay.init({})}})();
