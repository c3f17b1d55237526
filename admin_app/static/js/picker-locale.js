/* Date pickers in the user's language.
 *
 * The page carries the locale's month and day names, first weekday and labels
 * (from Babel's CLDR data and our catalogue) in #picker-locale. Flask-Admin
 * starts its date pickers when the page is ready, after this script has run,
 * so wrapping the jQuery plugin here reaches every picker. (Multi-value
 * filters: select2-choices.js, which must run sooner.)
 */
(function () {
  "use strict";
  var source = document.getElementById("picker-locale");
  if (!source || !window.jQuery) { return; }
  var settings = JSON.parse(source.textContent);
  var $ = window.jQuery;

  var moment = window.moment;
  if (moment) {
    // English is built into moment: update it; Spanish is defined here.
    var known = moment.locales ? moment.locales().indexOf(settings.code) >= 0 : false;
    if (known && moment.updateLocale) {
      moment.updateLocale(settings.code, settings.moment);
    } else if (moment.defineLocale) {
      moment.defineLocale(settings.code, settings.moment);
    }
    moment.locale(settings.code);
  }

  var daterangepicker = $.fn.daterangepicker;
  if (daterangepicker) {
    $.fn.daterangepicker = function (options, callback) {
      options = $.extend({}, options, {locale: settings.labels});
      if (typeof options.separator === "string") {
        options.separator = settings.rangeSeparator;
      }
      return daterangepicker.call(this, options, callback);
    };
  }
})();
